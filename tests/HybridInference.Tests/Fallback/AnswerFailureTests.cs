using System.Text.Json;
using HybridInference.JsonSchema;
using HybridInference.Tests.Chain;
using HybridInference.Telemetry;
using static HybridInference.Tests.Chain.Requests;

namespace HybridInference.Tests.Fallback;

/// <summary>What local models really send: JSON in a fence or prose, answers cut off at the token limit, the schema echoed back.</summary>
public sealed class AnswerFailureTests
{
    [Fact]
    public async Task FencedJson_IsExtracted_ReturnedClean_AndCounted()
    {
        using var host = HybridHost.Create();
        host.Local.Reply($"Here is the person:\n```json\n{ValidPerson}\n```\nLet me know if you need more.");

        var response = await host.Chat.GetResponseAsync(User("Extract."), Json());

        Assert.Equal(ValidPerson, response.Text);
        Assert.Single(host.Local.Requests);
        Assert.Empty(host.Cloud!.Requests);
        Assert.Equal(1, host.Metrics.Sum(HybridInferenceTelemetry.JsonExtractions, ("backend", "local")));
        Assert.Equal(0, host.Metrics.Sum(HybridInferenceTelemetry.ValidationFailures));
    }

    [Fact]
    public async Task ExtractionTurnedOff_ProseAroundJson_IsInvalid()
    {
        using var host = HybridHost.Create(HybridHost.DefaultJson.Replace("\"Routing\":", "\"Validation\": { \"ExtractJson\": false }, \"Routing\":", StringComparison.Ordinal));
        host.Local.Reply($"Sure: {ValidPerson}").Reply(ValidPerson);

        var response = await host.Chat.GetResponseAsync(User("Extract."), Json());

        Assert.Equal(2, host.Local.Requests.Count);
        Assert.Equal(1, host.Metrics.Sum(HybridInferenceTelemetry.ValidationFailures, ("reason", "invalid_json")));
        Assert.Equal(0, host.Metrics.Sum(HybridInferenceTelemetry.JsonExtractions));
        Assert.Equal(ValidPerson, response.Text);
    }

    [Fact]
    public async Task CutOffAtTheTokenLimit_IsTruncated_RetryAsksForShorterAndDoublesTheLimit()
    {
        using var host = HybridHost.Create();
        host.Local.Reply("""{"name":"Ada","age":3""", finishReason: ChatFinishReason.Length).Reply(ValidPerson);
        var options = Json();
        options.MaxOutputTokens = 100;

        var response = await host.Chat.GetResponseAsync(User("Extract."), options);

        Assert.Equal(ValidPerson, response.Text);
        var retry = host.Local.Requests[1];
        Assert.Contains("cut off at the output token limit", retry.LastUserText);
        Assert.Contains("shorter JSON document", retry.LastUserText);
        Assert.DoesNotContain(retry.Messages, m => m.Role == ChatRole.Assistant);
        Assert.Equal(200, retry.Options!.MaxOutputTokens);
        Assert.Equal(100, options.MaxOutputTokens);
        Assert.Equal(1, host.Metrics.Sum(HybridInferenceTelemetry.ValidationFailures, ("backend", "local"), ("reason", "truncated")));
    }

    [Fact]
    public async Task CutOffAnswer_IsNeverMinedForAnInnerFragment()
    {
        // The inner object would pass a schema that only needs "name"; it must not be taken for the answer.
        var schema = JsonDocument.Parse("""{"type":"object","required":["name"]}""").RootElement;
        using var host = HybridHost.Create();
        host.Local.Reply("""{"people":[{"name":"Ada"},{"na""", finishReason: ChatFinishReason.Length).Reply("""{"name":"Ada"}""");

        await host.Chat.GetResponseAsync(User("Extract."), new ChatOptions { ResponseFormat = ChatResponseFormat.ForJsonSchema(schema) });

        Assert.Equal(2, host.Local.Requests.Count);
        Assert.Equal(1, host.Metrics.Sum(HybridInferenceTelemetry.ValidationFailures, ("reason", "truncated")));
    }

    [Fact]
    public async Task SchemaEchoedBack_IsItsOwnFailure_WithItsOwnRetryPrompt()
    {
        using var host = HybridHost.Create();
        host.Local.Reply(PersonSchema.GetRawText()).Reply(ValidPerson);

        var response = await host.Chat.GetResponseAsync(User("Extract."), Json());

        Assert.Equal(ValidPerson, response.Text);
        Assert.Contains("repeated the JSON Schema instead of giving data", host.Local.Requests[1].LastUserText);
        Assert.Equal(1, host.Metrics.Sum(HybridInferenceTelemetry.ValidationFailures, ("reason", "schema_echo")));
    }

    [Fact]
    public async Task SchemaShapeEchoedBack_WithFilledInExample_IsSchemaEchoToo()
    {
        using var host = HybridHost.Create();
        host.Local.Reply("""{"type":"object","properties":{"name":"Ada","age":36}}""").Reply(ValidPerson);

        await host.Chat.GetResponseAsync(User("Extract."), Json());

        Assert.Equal(1, host.Metrics.Sum(HybridInferenceTelemetry.ValidationFailures, ("reason", "schema_echo")));
    }

    [Fact]
    public async Task LocalOnly_NeverJson_TypedErrorNamesTheReason()
    {
        using var host = HybridHost.Create();
        host.Local.DefaultReply = _ => "{\"name\":";
        var options = Json().WithDataPolicy(DataPolicy.LocalOnly);

        var error = await Assert.ThrowsAsync<OutputValidationException>(() => host.Chat.GetResponseAsync(User("Extract."), options));

        Assert.Equal(ValidationFailureReason.InvalidJson, error.Reason);
        Assert.Contains("not JSON", error.Message);
        Assert.Empty(host.Cloud!.Requests);
    }

    [Fact]
    public async Task RetryPrompt_ListsEachErrorWithItsLocation()
    {
        using var host = HybridHost.Create();
        host.Local.Reply("""{"name":7,"age":36,"role":"root"}""").Reply(ValidPerson);

        await host.Chat.GetResponseAsync(User("Extract."), Json());

        var prompt = host.Local.Requests[1].LastUserText;
        Assert.Contains("- /name: expected string but found integer (type)", prompt);
        Assert.Contains("- /role: \"root\" is not one of the allowed values [\"admin\", \"user\"] (enum)", prompt);
    }

    [Theory]
    [InlineData("""{"$ref":"#/$defs/missing"}""", "points to no schema")]
    [InlineData("""{"$ref":"https://example.com/person.json"}""", "never fetched over the network")]
    [InlineData("""{"$defs":{"a":{"$ref":"#/$defs/b"},"b":{"allOf":[{"$ref":"#/$defs/a"}]}},"$ref":"#/$defs/a"}""", "loop without moving into the document")]
    [InlineData("""{"properties":{"a":{"minLength":-1}}}""", "'minLength' at '#/properties/a' must be a non-negative integer")]
    [InlineData("\"a string\"", "must be an object or a boolean")]
    public async Task BadSchema_FailsWhenTheRequestIsMade_BeforeAnyBackendIsCalled(string schema, string expected)
    {
        using var host = HybridHost.Create();
        host.Local.Reply(ValidPerson);
        var options = new ChatOptions { ResponseFormat = ChatResponseFormat.ForJsonSchema(JsonDocument.Parse(schema).RootElement) };

        var error = await Assert.ThrowsAsync<InvalidJsonSchemaException>(() => host.Chat.GetResponseAsync(User("Extract."), options));

        Assert.Contains(expected, error.Message);
        Assert.Empty(host.Local.Requests);
        Assert.Empty(host.Cloud!.Requests);
    }

    [Fact]
    public async Task BadSchema_OnACloudRoutedRequest_FailsBeforeTheCloudIsCalled()
    {
        using var host = HybridHost.Create();
        var options = new ChatOptions { ResponseFormat = ChatResponseFormat.ForJsonSchema(JsonDocument.Parse("""{"type":"objekt"}""").RootElement) }
            .WithTaskCategory(TaskCategory.Complex);

        await Assert.ThrowsAsync<InvalidJsonSchemaException>(() => host.Chat.GetResponseAsync(User("Prove it."), options));

        Assert.Empty(host.Cloud!.Requests);
    }
}
