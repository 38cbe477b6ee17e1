using System.Text;
using System.Text.Json;

namespace HybridInference.JsonSchema.Tests;

/// <summary>
/// Schemas and documents nested deeper than the limits: a typed error or a validation failure, never a stack overflow.
/// </summary>
/// <remarks>
/// The deep cases run on a thread with a very large stack, so that code without an explicit depth counter finishes
/// (and the test fails on its assertion) instead of killing the test host; the cases at the limit run on a thread
/// with a small stack, so that the limit is proven low enough for the stacks the chain really runs on.
/// </remarks>
public sealed class JsonSchemaDepthTests
{
    private const int Deep = 5000;
    private const int LargeStack = 1024 * 1024 * 1024;
    private const int SmallStack = 1536 * 1024; // A thread-pool thread's stack on Linux.

    private static readonly JsonDocumentOptions Unlimited = new() { MaxDepth = 100_000 };

    private static readonly string[] Mixable =
    [
        "properties", "items", "allOf", "anyOf", "oneOf", "not", "additionalProperties", "prefixItems", "if-then", "else",
        "dependentSchemas", "contains", "patternProperties", "propertyNames", "unevaluatedProperties", "defs-nested",
    ];

    /// <summary>The keywords a schema nests through: each builds a schema <c>depth</c> levels deep.</summary>
    public static TheoryData<string> NestingKeywords =>
    [
        "properties", "items", "allOf", "anyOf", "oneOf", "not", "additionalProperties", "prefixItems", "if-then", "else",
        "dependentSchemas", "contains", "patternProperties", "propertyNames", "unevaluatedProperties", "defs-ref-chain",
        "defs-ref-chain-reversed", "defs-nested", "mixed",
    ];

    [Theory]
    [MemberData(nameof(NestingKeywords))]
    public void Compile_SchemaNestedFiveThousandLevels_IsInvalidJsonSchemaExceptionNamingTheLimit(string keyword)
    {
        using var schema = JsonDocument.Parse(Nested(keyword, Deep), Unlimited);

        var error = OnThread.WithStack(LargeStack, () => Record.Exception(() => new JsonSchemaValidator().PrepareSchema(schema.RootElement)));

        var invalid = Assert.IsType<InvalidJsonSchemaException>(error);
        Assert.Contains($"more than {SchemaCompiler.MaxDepth}", invalid.Message, StringComparison.Ordinal);
        Assert.True(invalid.Message.Length < 1000, invalid.Message);
    }

    [Theory]
    [MemberData(nameof(NestingKeywords))]
    public void Compile_SchemaJustPastTheLimit_IsRefused_AndOneJustUnderItCompilesAndValidatesOnASmallStack(string keyword)
    {
        // Each level of the builders below is at most one level of subschemas, so 240 levels are within the limit.
        using var under = JsonDocument.Parse(Nested(keyword, 240), Unlimited);
        using var over = JsonDocument.Parse(Nested(keyword, SchemaCompiler.MaxDepth + 5), Unlimited);
        using var instance = JsonDocument.Parse("{}");

        var (underError, overError) = OnThread.WithStack(SmallStack, () =>
        {
            var validator = new JsonSchemaValidator();
            var a = Record.Exception(() => validator.Validate(under.RootElement, instance.RootElement));
            var b = Record.Exception(() => validator.PrepareSchema(over.RootElement));
            return (a, b);
        });

        Assert.Null(underError);
        Assert.IsType<InvalidJsonSchemaException>(overError);
    }

    [Theory]
    [InlineData("array", 10_000)]
    [InlineData("object", 10_000)]
    [InlineData("array", 1_000)]
    public void Validate_DocumentNestedDeeperThanEvaluationGoes_IsAValidationFailure_NotACrashOrASchemaError(string shape, int depth)
    {
        // A recursive schema follows the document down as far as it goes.
        using var schema = JsonDocument.Parse(shape == "array"
            ? """{"type":"array","items":{"$ref":"#"}}"""
            : """{"type":"object","additionalProperties":{"$ref":"#"}}""");
        using var instance = JsonDocument.Parse(NestedDocument(shape, depth), Unlimited);

        var result = OnThread.WithStack(LargeStack, () => new JsonSchemaValidator().Validate(schema.RootElement, instance.RootElement));

        Assert.False(result.IsValid);
        var error = Assert.Single(result.Errors!);
        Assert.Equal(("", "depth"), (error.InstanceLocation, error.Keyword));
        Assert.Contains("nests too deeply", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_CancelledToken_StopsALongValidation()
    {
        var validator = new JsonSchemaValidator();
        using var schema = JsonDocument.Parse("""{"type":"array","uniqueItems":true,"items":{"type":"integer"}}""");
        using var instance = JsonDocument.Parse("[" + string.Join(',', Enumerable.Range(0, 5000)) + "]");
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.True(validator.Validate(schema.RootElement, instance.RootElement, CancellationToken.None).IsValid);
        Assert.ThrowsAny<OperationCanceledException>(() => validator.Validate(schema.RootElement, instance.RootElement, cancelled.Token));
        Assert.ThrowsAny<OperationCanceledException>(() => validator.Compile(schema.RootElement).Validate(instance.RootElement, cancelled.Token));
    }

    [Fact]
    public void Compile_CancelledToken_StopsTheCompilation()
    {
        using var schema = JsonDocument.Parse(Nested("properties", 20));
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() => new JsonSchemaValidator().Compile(schema.RootElement, cancelled.Token));
    }

    /// <summary>A schema <paramref name="depth"/> levels deep through <paramref name="keyword"/>; the innermost level is <c>{"type":"string"}</c>.</summary>
    internal static string Nested(string keyword, int depth)
    {
        if (keyword.StartsWith("defs-ref-chain", StringComparison.Ordinal))
        {
            // Definitions that each refer to the next: flat in the document, deep along the references.
            var reversed = keyword.EndsWith("reversed", StringComparison.Ordinal);
            var chain = new StringBuilder(reversed ? """{"$defs":{""" : """{"$ref":"#/$defs/d0","$defs":{""");
            for (var i = 0; i < depth; i++)
            {
                var k = reversed ? depth - 1 - i : i;
                chain.Append(i == 0 ? "" : ",").Append($"\"d{k}\":").Append(k + 1 < depth ? $$"""{"$ref":"#/$defs/d{{k + 1}}"}""" : """{"type":"string"}""");
            }

            if (reversed)
            {
                // Refer to the definitions from the end of the chain first, so compiling never goes deep: only the chain is.
                chain.Append("},\"properties\":{");
                for (var i = 0; i < depth; i++)
                {
                    chain.Append(i == 0 ? "" : ",").Append($$"""
                        "p{{i}}":{"$ref":"#/$defs/d{{depth - 1 - i}}"}
                        """);
                }
            }

            return chain.Append("}}").ToString();
        }

        var open = new StringBuilder();
        var close = new StringBuilder();
        for (var i = 0; i < depth; i++)
        {
            var (before, after) = (keyword == "mixed" ? Mixable[i % Mixable.Length] : keyword) switch
            {
                "properties" => ("""{"properties":{"a":""", "}}"),
                "items" => ("""{"items":""", "}"),
                "allOf" => ("""{"allOf":[""", "]}"),
                "anyOf" => ("""{"anyOf":[""", "]}"),
                "oneOf" => ("""{"oneOf":[""", "]}"),
                "not" => ("""{"not":""", "}"),
                "additionalProperties" => ("""{"additionalProperties":""", "}"),
                "prefixItems" => ("""{"prefixItems":[""", "]}"),
                "if-then" => ("""{"if":true,"then":""", "}"),
                "else" => ("""{"if":false,"else":""", "}"),
                "dependentSchemas" => ("""{"dependentSchemas":{"a":""", "}}"),
                "contains" => ("""{"contains":""", "}"),
                "patternProperties" => ("""{"patternProperties":{"^a":""", "}}"),
                "propertyNames" => ("""{"propertyNames":""", "}"),
                "unevaluatedProperties" => ("""{"unevaluatedProperties":""", "}"),
                "defs-nested" => ("""{"$defs":{"x":""", "}}"),
                var other => throw new ArgumentOutOfRangeException(nameof(keyword), other, null),
            };
            open.Append(before);
            close.Insert(0, after);
        }

        return open.Append("""{"type":"string"}""").Append(close).ToString();
    }

    private static string NestedDocument(string shape, int depth) => shape == "array"
        ? new string('[', depth) + new string(']', depth)
        : new StringBuilder().Insert(0, """{"a":""", depth).Append("1").Append('}', depth).ToString();
}
