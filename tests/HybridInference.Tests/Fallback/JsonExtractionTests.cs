using System.Text.Json;
using HybridInference.Fallback;

namespace HybridInference.Tests.Fallback;

public sealed class JsonExtractionTests
{
    private static string? Extract(string text)
    {
        var found = JsonExtraction.Extract(text, TryParse);
        found?.Document.Dispose();
        return found?.Json;
    }

    private static JsonDocument? TryParse(string candidate)
    {
        try
        {
            return JsonDocument.Parse(candidate);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    [Theory]
    [InlineData("```json\n{\"a\":1}\n```", "{\"a\":1}")]
    [InlineData("Here you go:\n```JSON\n[1, 2]\n```\nAnything else?", "[1, 2]")]
    [InlineData("```\n{\"a\":1}\n```", "{\"a\":1}")]
    [InlineData("Sure! The result is {\"a\":{\"b\":[1,2]}} as requested.", "{\"a\":{\"b\":[1,2]}}")]
    [InlineData("<think>The user wants {name}. Let me think.</think>\n{\"name\":\"Ada\"}", "{\"name\":\"Ada\"}")]
    [InlineData("Braces in strings do not confuse it: {\"s\":\"a } or ] inside\"} done", "{\"s\":\"a } or ] inside\"}")]
    [InlineData("First {not json} then {\"ok\":true}", "{\"ok\":true}")]
    public void Extract_FindsTheDocument(string text, string expected)
    {
        Assert.Equal(expected, Extract(text));
    }

    [Theory]
    [InlineData("I cannot help with that.")]
    [InlineData("{\"a\": 1, \"b\": ")]
    [InlineData("```json\n{\"a\":\n```")]
    public void Extract_NothingToFind_ReturnsNull(string text)
    {
        Assert.Null(Extract(text));
    }
}
