using System.Text.Json;

namespace HybridInference.JsonSchema.Tests;

/// <summary>
/// Runs every case of the official JSON Schema Test Suite for draft 2020-12 (the required tests, not
/// <c>optional/</c>) as a test of its own. The suite is copied into <c>TestSuite/</c>; see the README there.
/// </summary>
public sealed class JsonSchemaTestSuiteTests
{
    private static readonly string SuiteRoot = Path.Combine(AppContext.BaseDirectory, "TestSuite");

    private static readonly Lazy<JsonSchemaValidator> Validator = new(CreateValidator);

    private static readonly Lazy<Dictionary<string, JsonElement>> Files = new(() =>
        Directory.GetFiles(Path.Combine(SuiteRoot, "tests"), "*.json")
            .ToDictionary(f => Path.GetFileName(f), f => JsonDocument.Parse(File.ReadAllText(f)).RootElement));

    /// <summary>Cases left out, with the reason; each is listed in TestSuite/README.md too.</summary>
    private static readonly HashSet<string> Excluded = [];

    public static TheoryData<string, int, int, string> RequiredCases()
    {
        var cases = new TheoryData<string, int, int, string>();
        foreach (var (file, groups) in Files.Value.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            var g = 0;
            foreach (var group in groups.EnumerateArray())
            {
                var t = 0;
                foreach (var test in group.GetProperty("tests").EnumerateArray())
                {
                    cases.Add(file, g, t, $"{group.GetProperty("description").GetString()}: {test.GetProperty("description").GetString()}");
                    t++;
                }

                g++;
            }
        }

        return cases;
    }

    [Theory]
    [MemberData(nameof(RequiredCases))]
    public void Draft202012(string file, int group, int test, string description)
    {
        Assert.NotEmpty(description);
        if (Excluded.Contains($"{file}/{group}/{test}"))
        {
            return;
        }

        var scenario = Files.Value[file][group];
        var testCase = scenario.GetProperty("tests")[test];
        var result = Validator.Value.Validate(scenario.GetProperty("schema"), testCase.GetProperty("data"));

        Assert.True(
            testCase.GetProperty("valid").GetBoolean() == result.IsValid,
            $"expected {(testCase.GetProperty("valid").GetBoolean() ? "valid" : "invalid")}; errors: {string.Join("; ", result.Errors ?? [])}");
    }

    [Fact]
    public void Draft202012_EveryRequiredCaseIsRun()
    {
        // Guards against a copy of the suite that lost files: draft 2020-12 has 46 required files.
        Assert.Equal(46, Files.Value.Count);
        Assert.Equal(1299, RequiredCases().Count());
    }

    private static JsonSchemaValidator CreateValidator()
    {
        var validator = new JsonSchemaValidator();
        var remotes = Path.Combine(SuiteRoot, "remotes");
        foreach (var path in Directory.GetFiles(remotes, "*.json", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(remotes, path).Replace('\\', '/');
            validator.Documents.Add($"http://localhost:1234/{relative}", JsonDocument.Parse(File.ReadAllText(path)).RootElement);
        }

        return validator;
    }
}
