using System.Text;
using System.Text.Json;
using Xunit.Abstractions;

namespace HybridInference.Engine.Tests;

/// <summary>
/// JSON Schema requests to a real llama-server: the schema goes in the form llama-server turns into a grammar (its
/// output then obeys it, which the random-weight model's free text never does), and the answers the grammar holds to
/// but the output limit or the context cuts off are recognised as truncation: retried with the truncation prompt,
/// counted as validation failures of reason <c>truncated</c>, escalated as <c>ValidationFailed</c>, and never counted
/// as server errors against local health, whether the server says <c>finish_reason: length</c> or answers HTTP 500
/// "The model produced output that does not match the expected peg-native format".
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class JsonSchemaTests(EngineFixture engine, ITestOutputHelper output) : SharedServerTest
{
    private protected override EngineFixture Shared => engine;

    // Every schema accepts the cloud fake's answer, so an escalation ends in a valid answer.
    private static readonly Dictionary<string, string> Schemas = new()
    {
        ["object"] = """{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},"required":["name","age"]}""",
        ["closed object with enum"] = """{"type":"object","properties":{"name":{"enum":["Ada","Grace"]},"age":{"type":"integer","minimum":0}},"required":["name","age"],"additionalProperties":false}""",
        ["$ref to $defs"] = """{"$defs":{"text":{"type":"string","maxLength":40}},"type":"object","properties":{"name":{"$ref":"#/$defs/text"},"age":{"type":"integer"}},"required":["name","age"]}""",
        ["optional array property"] = """{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"},"tags":{"type":"array","items":{"type":"string"}}},"required":["name","age"]}""",
        ["anyOf object or array"] = """{"anyOf":[{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},"required":["name","age"]},{"type":"array","items":{"type":"integer"},"minItems":3}]}""",
    };

    public static TheoryData<string, bool> CutByTheOutputLimit()
    {
        var data = new TheoryData<string, bool>();
        foreach (var name in Schemas.Keys)
        {
            data.Add(name, false);
        }

        data.Add("object", true);
        data.Add("closed object with enum", true);
        return data;
    }

    [Theory]
    [MemberData(nameof(CutByTheOutputLimit))]
    public async Task JsonRequest_CutOffByTheOutputLimit_ObeysTheGrammarAndIsRetriedAndEscalatedAsTruncation(string schemaName, bool streamed)
    {
        var recorder = new Recorder();
        await using var chain = EngineChain.Build(EngineChain.Settings(engine.Server, engine.Cloud), b => b.ConfigureBackend("llama", recorder.AddTo));
        var options = new ChatOptions
        {
            MaxOutputTokens = 6, // too few for any instance of these schemas
            ResponseFormat = ChatResponseFormat.ForJsonSchema(JsonDocument.Parse(Schemas[schemaName]).RootElement, "person"),
        };

        var (text, outcome) = await chain.AskAsync("Extract the person: 'Ada Lovelace, 36'", options, streamed);

        Report(recorder);
        Assert.Equal(CloudFake.Answer, text);
        Assert.Equal((BackendLane.Cloud, EscalationReason.ValidationFailed), (outcome.Target, outcome.EscalationReason));
        var answers = recorder.Answers.ToArray();
        Assert.Equal(2, answers.Length); // the first answer and the truncation retry
        Assert.All(answers, a => AssertCutOffInTheGrammar(a, Schemas[schemaName]));
        Assert.Contains("cut off at the output token limit", recorder.Prompts.ToArray()[1], StringComparison.Ordinal);
        AssertCountedAsTruncationOnly(chain, outcome, answers.Length);
    }

    [Fact]
    public async Task JsonRequest_CutOffByTheContext_IsTruncationNotAServerError()
    {
        var recorder = new Recorder();
        // The output reserve (sent as max_tokens) is 11: the estimate of the prompt below, 2,037, plus 11 fills the slot's
        // 2,048, so the router still sends it, and the server, counting 2,038, cuts the answer off at 10 by its context.
        var settings = EngineChain.Settings(engine.Server, engine.Cloud);
        settings["HybridInference:Routing:DefaultOutputTokens"] = "11";
        // Routed on the estimate: the server's own count (2,038 + 11, over the slot) would send it to the cloud unsent
        // (ServerTokenCountTests), and this test is about the server's cut-off.
        settings["HybridInference:Local:Backends:0:ServerTokenCount"] = "false";
        await using var chain = EngineChain.Build(settings, b => b.ConfigureBackend("llama", recorder.AddTo));
        var options = new ChatOptions { ResponseFormat = ChatResponseFormat.ForJsonSchema(JsonDocument.Parse(Schemas["object"]).RootElement, "person") };

        // 2,030 words of 'hello' are 2,038 tokens in the [INST] template: the slot's 2,048 leave room for 10 of output.
        var (text, outcome) = await chain.AskAsync(string.Join(' ', Enumerable.Repeat("hello", 2030)), options, streamed: false);

        Report(recorder);
        Assert.Equal(CloudFake.Answer, text);
        Assert.Equal(BackendLane.Cloud, outcome.Target);
        Assert.NotEqual(EscalationReason.LocalError, outcome.EscalationReason);
        var first = recorder.Answers.First();
        AssertCutOffInTheGrammar(first, Schemas["object"]);
        Assert.True(chain.Metrics.Sum("hybrid_inference.validation_failures", ("reason", "truncated")) >= 1, "the cut-off answer was not counted as truncated");
        Assert.Equal(0, chain.Status.LocalCircuitFailures.GetValueOrDefault(CircuitFailureReason.ServerError));
    }


    /// <summary>
    /// The server's answer is cut off (length, or the 500 that says its output parser met a cut-off answer), and what
    /// there is of it is a JSON prefix that starts as the schema's grammar demands: the schema was applied.
    /// </summary>
    private static void AssertCutOffInTheGrammar((string Text, ChatFinishReason? Finish, Exception? Error) answer, string schema)
    {
        if (answer.Error is { } error)
        {
            Assert.Contains("peg-native", error.ToString(), StringComparison.Ordinal);
            return;
        }

        Assert.Equal(ChatFinishReason.Length, answer.Finish);
        var json = answer.Text.TrimStart();
        if (json.StartsWith("```", StringComparison.Ordinal))
        {
            json = json[(json.IndexOf('\n', StringComparison.Ordinal) + 1)..].TrimStart(); // the grammar allows a fence
        }

        var starts = schema.StartsWith("{\"anyOf", StringComparison.Ordinal) ? "{[" : "{";
        Assert.True(json.Length == 0 || starts.Contains(json[0], StringComparison.Ordinal), $"the answer does not start as the schema demands: '{answer.Text}'");
        Assert.True(IsJsonPrefix(json), $"the answer is not a JSON prefix: '{answer.Text}'");
    }

    private static bool IsJsonPrefix(string text)
    {
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(text), isFinalBlock: false, state: default);
        try
        {
            while (reader.Read())
            {
            }

            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static void AssertCountedAsTruncationOnly(EngineChain chain, RouteOutcome outcome, int localAnswers)
    {
        var failures = chain.Metrics.Of("hybrid_inference.validation_failures").Where(m => m.Tag("backend") == "llama").ToArray();
        Assert.Equal(localAnswers, failures.Sum(m => (int)m.Value));
        Assert.All(failures, m => Assert.Equal("truncated", m.Tag("reason")));
        Assert.Equal(localAnswers, outcome.ValidationFailures);
        var breaker = chain.Status.LocalCircuitFailures;
        Assert.Equal(0, breaker.GetValueOrDefault(CircuitFailureReason.ServerError));
        Assert.Equal(localAnswers, breaker.GetValueOrDefault(CircuitFailureReason.Validation));
        Assert.Null(chain.Local.LastError);
        Assert.Equal(0, chain.Local.ConsecutiveFailures);
    }

    private void Report(Recorder recorder)
    {
        foreach (var (text, finish, error) in recorder.Answers)
        {
            output.WriteLine(error is null ? $"{finish}: {text}" : $"error: {error.Message}");
        }
    }
}
