using System.Text.Json;

namespace HybridInference.JsonSchema.Tests;

/// <summary>
/// <c>format</c> as an assertion (the validator's <c>assertFormats</c>, which HybridInference's
/// <c>ValidationOptions.AssertFormats</c> sets), checked against the test suite's <c>optional/format/</c> files of the
/// formats the validator knows.
/// </summary>
public sealed class JsonSchemaFormatTests
{
    private static readonly string FormatRoot = Path.Combine(AppContext.BaseDirectory, "TestSuite", "tests", "optional", "format");

    private static readonly string[] Formats =
        ["date-time", "date", "time", "duration", "email", "hostname", "ipv4", "ipv6", "uri", "uri-reference", "uuid", "json-pointer", "regex"];

    private static readonly JsonSchemaValidator Asserting = new(assertFormats: true);

    private static readonly JsonSchemaValidator Annotating = new();

    public static TheoryData<string, int, int, string> FormatCases()
    {
        var cases = new TheoryData<string, int, int, string>();
        foreach (var format in Formats)
        {
            var groups = JsonDocument.Parse(File.ReadAllText(Path.Combine(FormatRoot, format + ".json"))).RootElement;
            var g = 0;
            foreach (var group in groups.EnumerateArray())
            {
                var t = 0;
                foreach (var test in group.GetProperty("tests").EnumerateArray())
                {
                    cases.Add(format, g, t, test.GetProperty("description").GetString()!);
                    t++;
                }

                g++;
            }
        }

        return cases;
    }

    [Theory]
    [MemberData(nameof(FormatCases))]
    public void OptionalFormat_Asserted(string format, int group, int test, string description)
    {
        var scenario = JsonDocument.Parse(File.ReadAllText(Path.Combine(FormatRoot, format + ".json"))).RootElement[group];
        var testCase = scenario.GetProperty("tests")[test];

        var result = Asserting.Validate(scenario.GetProperty("schema"), testCase.GetProperty("data"));

        Assert.True(testCase.GetProperty("valid").GetBoolean() == result.IsValid, $"{format}: {description}");
    }

    [Fact]
    public void Format_ByDefault_IsAnAnnotationOnly()
    {
        using var schema = JsonDocument.Parse("""{"format":"email"}""");
        using var instance = JsonDocument.Parse("\"not an email\"");

        Assert.True(Annotating.Validate(schema.RootElement, instance.RootElement).IsValid);
        var error = Assert.Single(Asserting.Validate(schema.RootElement, instance.RootElement).Errors!);
        Assert.Equal("format", error.Keyword);
        Assert.Equal("\"not an email\" is not a valid email", error.Message);
    }
}
