using System.Text.Json;
using HybridInference.JsonSchema;

namespace HybridInference.Tests.JsonSchema;

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
}
