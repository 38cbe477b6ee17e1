using System.Xml.Linq;

namespace HybridInference.Calibration.Tests;

/// <summary>The calibration tool's own logic: the prompt file, answer matching, the suggestions and the reports.</summary>
public sealed class CalibrationTests : IDisposable
{
    private readonly string _file = Path.GetTempFileName();

    public void Dispose() => File.Delete(_file);

    private IReadOnlyList<CalibrationPrompt> Read(params string[] lines)
    {
        File.WriteAllLines(_file, lines);
        return PromptFile.Read(_file);
    }

    [Theory]
    [InlineData("{\"category\":\"routine\"}", "line 2: \"prompt\" is missing")]
    [InlineData("not json", "line 2: not a JSON object")]
    [InlineData("[1]", "line 2: not a JSON object")]
    [InlineData("{\"prompt\":\"x\",\"category\":\"urgent\"}", "line 2: \"category\" is 'urgent'")]
    [InlineData("{\"prompt\":\"x\",\"schema\":\"object\"}", "line 2: \"schema\" must be a JSON Schema")]
    [InlineData("{\"prompt\":\"x\",\"data_policy\":\"secret\"}", "line 2: \"data_policy\" is 'secret'")]
    public void ABadLine_IsRefusedNamingTheLineAndTheProblem(string line, string expected)
    {
        var error = Assert.Throws<PromptFileException>(() => Read("{\"prompt\":\"fine\"}", line));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BlankLinesAndComments_AreSkipped_AndEveryFieldIsRead()
    {
        var prompts = Read(
            "// calibration set",
            string.Empty,
            """{"prompt":"Extract","category":"complex","schema":{"type":"object"},"schema_name":"person","expected":{"a":1},"data_policy":"local_only"}""");

        var prompt = Assert.Single(prompts);
        Assert.Equal((3, "Extract", TaskCategory.Complex, "person", DataPolicy.LocalOnly), (prompt.Line, prompt.Prompt, prompt.Category, prompt.SchemaName, prompt.DataPolicy));
        Assert.NotNull(prompt.ToOptions().ResponseFormat);
    }

    [Fact]
    public void AFileWithoutPrompts_IsRefused() =>
        Assert.Contains("has no prompts", Assert.Throws<PromptFileException>(() => Read("// nothing")).Message, StringComparison.Ordinal);

    [Fact]
    public void Matching_ComparesJsonByValue_AndTextByContainment()
    {
        var json = Read("""{"prompt":"p","schema":{"type":"object"},"expected":{"name":"Ada","age":36}}""")[0];
        Assert.True(json.Matches("""{ "age": 36, "name": "Ada" }"""));
        Assert.False(json.Matches("""{"name":"Ada","age":37}"""));
        Assert.False(json.Matches("not json"));

        var text = Read("""{"prompt":"p","expected":"Paris"}""")[0];
        Assert.True(text.Matches("The city is paris."));
        Assert.Null(Read("""{"prompt":"p"}""")[0].Matches("anything"));
    }

    [Fact]
    public void AFailureRateCloseToTheThreshold_SuggestsRaisingIt()
    {
        // 100 local requests, 12 of them failing locally: 12% against a 15% threshold trips on noise.
        var results = Enumerable.Range(0, 100).Select(i => Result(100, i < 12 ? EscalationReason.LocalError : EscalationReason.None)).ToList();

        var summary = new CalibrationSummary(results, new HybridInferenceOptions());

        var threshold = summary.Suggestions.Single(s => s.Key == "Routing:EscalationThreshold");
        Assert.Equal(("0.15", "0.24"), (threshold.Current, threshold.Suggested));
        Assert.Contains("trip on noise", threshold.Why, StringComparison.Ordinal);
    }

    [Fact]
    public void LargePromptsFailingLocally_SuggestLoweringTheContextLimit()
    {
        // Small prompts hold up; prompts of 2049-4096 tokens fail a third of the time.
        var results = Enumerable.Range(0, 200).Select(i => Result(100, EscalationReason.None))
            .Concat(Enumerable.Range(0, 30).Select(i => Result(3000, i % 3 == 0 ? EscalationReason.LocalError : EscalationReason.None)))
            .ToList();

        var summary = new CalibrationSummary(results, new HybridInferenceOptions());

        var limit = summary.Suggestions.Single(s => s.Key == "Routing:LocalContextLimit");
        Assert.Equal(("4096", "2048"), (limit.Current, limit.Suggested));
        Assert.Contains("2049-4096", limit.Why, StringComparison.Ordinal);
    }

    [Fact]
    public void Reports_CarryEveryFigure_AndTheHtmlIsSelfContainedWellFormedMarkup()
    {
        var results = Enumerable.Range(0, 40).Select(i => Result(100, i % 4 == 0 ? EscalationReason.Category : EscalationReason.None)).ToList();
        var summary = new CalibrationSummary(results, new HybridInferenceOptions());

        var markdown = MarkdownReport.Render(summary, "set <1>.jsonl");
        var html = HtmlReport.Render(summary, "set <1>.jsonl", new DateTimeOffset(2026, 11, 22, 8, 0, 0, TimeSpan.Zero));

        Assert.Contains("| local | 30 | 75.0 % |", markdown, StringComparison.Ordinal);
        Assert.Contains("| Category | 10 | 25.0 % |", markdown, StringComparison.Ordinal);
        Assert.Contains("`Routing:EscalationThreshold`", markdown, StringComparison.Ordinal);
        Assert.Equal(4, html.Split("<svg", StringSplitOptions.None).Length - 1);
        Assert.Contains("set &lt;1&gt;.jsonl", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("http://", html.Replace("http://www.w3.org/2000/svg", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);

        // Well-formed as XML once the doctype is set aside: every element closed, every attribute quoted.
        XDocument.Parse(html.Replace("<!DOCTYPE html>", string.Empty, StringComparison.Ordinal).Replace("<meta charset=\"utf-8\">", "<meta charset=\"utf-8\"/>", StringComparison.Ordinal));
    }

    private static CalibrationResult Result(int promptTokens, EscalationReason escalation)
    {
        var cloud = escalation != EscalationReason.None;
        var prompt = new CalibrationPrompt(1, "p", null, null, "output", null, null);
        return new CalibrationResult(prompt, new RouteOutcome
        {
            Target = cloud ? BackendLane.Cloud : BackendLane.Local,
            Backend = cloud ? "cloud" : "local",
            Category = escalation == EscalationReason.Category ? TaskCategory.Complex : TaskCategory.Routine,
            Decision = escalation == EscalationReason.Category ? RouteTarget.Cloud : RouteTarget.Local,
            DecisionReason = escalation == EscalationReason.Category ? RouteReason.Category : RouteReason.Default,
            Attempts = cloud ? 2 : 1,
            EscalationReason = escalation,
            ValidationFailures = 0,
            EstimatedPromptTokens = promptTokens,
            InputTokens = promptTokens,
            OutputTokens = 20,
            CostUsd = cloud ? 0.002 : 0,
            CloudBaselineCostUsd = 0.002,
            Duration = TimeSpan.FromMilliseconds(cloud ? 300 : 50),
        }, null, null);
    }
}
