using System.Text;
using System.Text.Json;
using HybridInference.Fallback;
using HybridInference.JsonSchema;

namespace HybridInference.Tests.Fallback;

/// <summary>
/// Answers nested deeper than the fallback reads: an invalid-JSON verdict, never a stack overflow. The validator's own
/// depth limits are tested with it, in HybridInference.JsonSchema.Tests (JsonSchemaDepthTests).
/// </summary>
public sealed class ResponseValidationDepthTests
{
    private const int SmallStack = 1536 * 1024; // A thread-pool thread's stack on Linux.

    [Theory]
    [InlineData("array", 10_000, false)]
    [InlineData("object", 10_000, false)]
    [InlineData("array", 10_000, true)]
    [InlineData("array", ResponseValidation.MaxAnswerDepth + 1, false)]
    public void ResponseValidation_AnswerNestedTooDeeply_IsInvalidJson_NotACrash(string shape, int depth, bool inProse)
    {
        var validator = new JsonSchemaValidator();
        using var schema = JsonDocument.Parse("""{"type":["array","object"]}""");
        var answer = NestedDocument(shape, depth);
        var response = new ChatResponse(new ChatMessage(ChatRole.Assistant, inProse ? $"Here it is:\n```json\n{answer}\n```\nDone." : answer));

        var check = OnThread.WithStack(SmallStack, () => ResponseValidation.Check(validator, schema.RootElement, response, extractJson: true));

        Assert.False(check.IsValid);
        Assert.Equal(ValidationFailureReason.InvalidJson, check.Reason);
    }

    private static string NestedDocument(string shape, int depth) => shape == "array"
        ? new string('[', depth) + new string(']', depth)
        : new StringBuilder().Insert(0, """{"a":""", depth).Append("1").Append('}', depth).ToString();
}
