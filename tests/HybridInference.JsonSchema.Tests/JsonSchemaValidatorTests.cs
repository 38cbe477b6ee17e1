using System.Text.Json;

namespace HybridInference.JsonSchema.Tests;

public sealed class JsonSchemaValidatorTests
{
    private static readonly JsonSchemaValidator Validator = new();

    private static JsonSchemaValidationResult Validate(string schema, string instance) =>
        Validator.Validate(JsonDocument.Parse(schema).RootElement, JsonDocument.Parse(instance).RootElement);

    [Theory]
    [InlineData("""{"type":"integer"}""", "1", true)]
    [InlineData("""{"type":"integer"}""", "1.0", true)]
    [InlineData("""{"type":"integer"}""", "1.5", false)]
    [InlineData("""{"type":"number"}""", "1.5", true)]
    [InlineData("""{"type":["string","null"]}""", "null", true)]
    [InlineData("""{"type":"boolean"}""", "\"true\"", false)]
    [InlineData("""{"enum":[1,"a",{"b":[2]}]}""", """{"b":[2]}""", true)]
    [InlineData("""{"enum":[1,"a"]}""", "2", false)]
    [InlineData("""{"const":{"a":1}}""", """{"a":1.0}""", true)]
    [InlineData("""{"const":{"a":1}}""", """{"a":2}""", false)]
    [InlineData("true", "42", true)]
    [InlineData("false", "42", false)]
    [InlineData("""{"items":{"type":"string"}}""", """["a","b"]""", true)]
    [InlineData("""{"items":{"type":"string"}}""", """["a",1]""", false)]
    [InlineData("""{"properties":{"a":{"type":"string"}},"additionalProperties":{"type":"integer"}}""", """{"a":"x","b":2}""", true)]
    [InlineData("""{"properties":{"a":{"type":"string"}},"additionalProperties":{"type":"integer"}}""", """{"a":"x","b":"y"}""", false)]
    public void Validate_Keywords(string schema, string instance, bool valid)
    {
        Assert.Equal(valid, Validate(schema, instance).IsValid);
    }

    [Fact]
    public void Validate_Errors_CarryJsonPointerKeywordAndMessage()
    {
        var result = Validate(
            """{"type":"object","properties":{"items":{"type":"array","items":{"type":"object","required":["id"]}}},"additionalProperties":false}""",
            """{"items":[{"id":1},{"name":"x"}],"extra/~":true}""");

        Assert.False(result.IsValid);
        Assert.Contains(result.Errors!, e => e is { InstanceLocation: "/items/1", Keyword: "required" } && e.Message.Contains("'id'"));
        Assert.Contains(result.Errors!, e => e is { InstanceLocation: "", Keyword: "additionalProperties" });
    }

    [Theory]
    [InlineData("""{"type":"objekt"}""", "unknown type")]
    [InlineData("""{"required":"name"}""", "'required'")]
    [InlineData("42", "must be an object or a boolean")]
    public void Validate_BadSchema_ThrowsNamingTheProblem(string schema, string expected)
    {
        var error = Assert.Throws<InvalidJsonSchemaException>(() => Validate(schema, "{}"));

        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Compile_SameSchemaText_IsCompiledOnce_AndOutlivesTheCallersDocument()
    {
        var validator = new JsonSchemaValidator();
        CompiledJsonSchema first;
        using (var schema = JsonDocument.Parse("""{"type":"object","required":["a"]}"""))
        {
            first = validator.Compile(schema.RootElement);
        }

        using var again = JsonDocument.Parse("""{"type":"object","required":["a"]}""");
        using var instance = JsonDocument.Parse("""{"b":1}""");

        Assert.Same(first, validator.Compile(again.RootElement));
        Assert.Equal("missing required property 'a'", Assert.Single(validator.Validate(again.RootElement, instance.RootElement).Errors!).Message);
    }

    [Fact]
    public void Validate_ManyThreadsAtOnce_EachGetsItsOwnResult()
    {
        using var schema = JsonDocument.Parse("""{"type":"array","items":{"type":"object","properties":{"n":{"type":"integer","maximum":100}},"unevaluatedProperties":false}}""");
        using var valid = JsonDocument.Parse("""[{"n":1},{"n":2},{"n":3}]""");
        using var invalid = JsonDocument.Parse("""[{"n":1},{"n":200},{"x":3}]""");
        var failures = 0;

        Parallel.For(0, 2000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var result = Validator.Validate(schema.RootElement, (i % 2 == 0 ? valid : invalid).RootElement);
            var expected = i % 2 == 0 ? 0 : 2;
            if ((result.Errors?.Count ?? 0) != expected)
            {
                Interlocked.Increment(ref failures);
            }
        });

        Assert.Equal(0, failures);
    }

    [Fact]
    public void Validate_OlderDraftSchema_TupleItemsAndDefinitionsWork()
    {
        var schema = """
            {"$schema":"http://json-schema.org/draft-07/schema#","definitions":{"name":{"type":"string"}},
             "type":"array","items":[{"$ref":"#/definitions/name"},{"type":"integer"}],"additionalItems":false}
            """;

        Assert.True(Validate(schema, """["Ada",36]""").IsValid);
        Assert.Contains(Validate(schema, """[36,"Ada"]""").Errors!, e => e.InstanceLocation == "/0" && e.Keyword == "type");
        Assert.Contains(Validate(schema, """["Ada",36,true]""").Errors!, e => e.Keyword == "items");
    }

    [Theory]
    [InlineData("^\\d+$", "123", true)]
    [InlineData("^\\d+$", "\u0661\u0662\u0663", false)]
    [InlineData("^\\p{Lu}", "Ada", true)]
    [InlineData("^\\p{Letter}+$", "\u03c0\u03b9", true)]
    public void Pattern_IsReadAsEcma262(string pattern, string value, bool valid)
    {
        Assert.Equal(valid, Validate($$"""{"pattern":{{JsonSerializer.Serialize(pattern)}}}""", JsonSerializer.Serialize(value)).IsValid);
    }

    [Fact]
    public void Validate_NestedErrors_NameEveryLocationWithEscapedPointers()
    {
        var result = Validate(
            """{"properties":{"a/b":{"items":{"minimum":0}},"c~d":{"maxLength":2}}}""",
            """{"a/b":[1,-1],"c~d":"long"}""");

        Assert.Equal(["/a~1b/1", "/c~0d"], result.Errors!.Select(e => e.InstanceLocation));
        Assert.Equal("-1 is less than the minimum 0", result.Errors![0].Message);
        Assert.Equal("the string has 4 characters, more than the maximum 2", result.Errors[1].Message);
    }
}
