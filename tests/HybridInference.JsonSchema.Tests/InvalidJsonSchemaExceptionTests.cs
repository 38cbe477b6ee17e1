using System.Text.Json;

namespace HybridInference.JsonSchema.Tests;

/// <summary>
/// Every kind of unusable schema is an <see cref="InvalidJsonSchemaException"/>, an <see cref="ArgumentException"/>
/// (the schema is the caller's argument), whose message is the validator's own text, naming the problem and where,
/// with nothing added by <see cref="ArgumentException"/>.
/// </summary>
public sealed class InvalidJsonSchemaExceptionTests
{
    [Theory]
    [InlineData("\"a string\"", "must be an object or a boolean")]
    [InlineData("42", "must be an object or a boolean")]
    [InlineData("""{"type":"objekt"}""", "objekt")]
    [InlineData("""{"properties":{"a":{"minLength":-1}}}""", "'minLength' at '#/properties/a' must be a non-negative integer")]
    [InlineData("""{"pattern":"(unclosed"}""", "not a valid regular expression")]
    [InlineData("""{"$ref":"#/$defs/missing"}""", "points to no schema")]
    [InlineData("""{"$ref":"https://example.com/person.json"}""", "never fetched over the network")]
    [InlineData("""{"$defs":{"a":{"$ref":"#/$defs/b"},"b":{"allOf":[{"$ref":"#/$defs/a"}]}},"$ref":"#/$defs/a"}""", "loop without moving into the document")]
    [InlineData("""{"required":"name"}""", "required")]
    [InlineData("""{"allOf":[]}""", "allOf")]
    public void PrepareSchema_UnusableSchema_IsAnArgumentExceptionWithTheValidatorsMessage(string schema, string expected)
    {
        using var document = JsonDocument.Parse(schema);

        var error = Record.Exception(() => new JsonSchemaValidator().PrepareSchema(document.RootElement));

        var invalid = Assert.IsType<InvalidJsonSchemaException>(error);
        Assert.IsAssignableFrom<ArgumentException>(invalid);
        Assert.Null(invalid.ParamName);
        Assert.Contains(expected, invalid.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("(Parameter", invalid.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_SchemaWithNoValue_IsAnArgumentExceptionNamingIt()
    {
        using var instance = JsonDocument.Parse("{}");

        var error = Assert.Throws<InvalidJsonSchemaException>(() => new JsonSchemaValidator().Validate(default, instance.RootElement));

        Assert.IsAssignableFrom<ArgumentException>(error);
        Assert.Equal("The JSON Schema is empty: the response format carries no schema value.", error.Message);
    }

    [Fact]
    public void Constructors_KeepTheMessageAndTheCause()
    {
        var cause = new FormatException("bad");

        var error = new InvalidJsonSchemaException("'type' at '#' is wrong.", cause);

        Assert.Equal("'type' at '#' is wrong.", error.Message);
        Assert.Same(cause, error.InnerException);
        Assert.Equal("'type' at '#' is wrong.", new InvalidJsonSchemaException("'type' at '#' is wrong.").Message);
    }
}
