using System.Diagnostics;
using HybridInference.Telemetry;
using HybridInference.Tests.Chain;
using static HybridInference.Tests.Chain.Requests;

namespace HybridInference.Tests.Telemetry;

/// <summary>The spans: one per request and one per attempt, with the GenAI attributes and the hybrid.* conventions; content only on request.</summary>
[Collection(ActivityListenerCollection.Name)]
public sealed class TracingTests : IDisposable
{
    private readonly List<Activity> _stopped = [];
    private readonly ActivityListener _listener;

    public TracingTests()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == HybridInferenceTelemetry.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                lock (_stopped)
                {
                    _stopped.Add(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public void Dispose() => _listener.Dispose();

    /// <summary>Runs <paramref name="call"/> under a root span of its own and returns the request span and its attempts from that trace.</summary>
    private async Task<(Activity Request, List<Activity> Attempts)> RunAsync(Func<Task> call)
    {
        using var root = new Activity("test-root").Start();
        await call();
        root.Stop();
        lock (_stopped)
        {
            var request = _stopped.Single(a => a.OperationName == "hybrid_inference.request" && a.TraceId == root.TraceId);
            return (request, _stopped.Where(a => a.ParentSpanId == request.SpanId).ToList());
        }
    }

    [Fact]
    public async Task EscalatedJsonRequest_OneRequestSpan_OneSpanPerAttempt_WithGenAiAndHybridAttributes()
    {
        using var host = HybridHost.Create();
        host.Local.Reply("not json").Reply("still not json");
        host.Cloud!.Reply(ValidPerson, inputTokens: 30, outputTokens: 12);

        var (request, attempts) = await RunAsync(() => host.Chat.GetResponseAsync(User("Extract."), Json()));

        Assert.Equal(3, attempts.Count);
        Assert.All(attempts, a => Assert.Equal(ActivityKind.Client, a.Kind));
        Assert.Equal(["1", "2", "3"], attempts.OrderBy(a => a.StartTimeUtc).Select(a => a.GetTagItem("hybrid.attempt")?.ToString()));
        var cloud = attempts.Single(a => (string?)a.GetTagItem("hybrid.lane") == "cloud");
        Assert.Equal(("chat", "openai", "cloud-model", 30L, 12L), ((string?)cloud.GetTagItem("gen_ai.operation.name"), (string?)cloud.GetTagItem("gen_ai.provider.name"),
            (string?)cloud.GetTagItem("gen_ai.request.model"), (long?)cloud.GetTagItem("gen_ai.usage.input_tokens"), (long?)cloud.GetTagItem("gen_ai.usage.output_tokens")));
        Assert.Equal(["stop"], (string[])cloud.GetTagItem("gen_ai.response.finish_reasons")!);

        Assert.Equal(
            ("chat", "openai", "routine", "cloud", "local", "json_required", "validation_failed", 3, 2, true),
            ((string?)request.GetTagItem("gen_ai.operation.name"), (string?)request.GetTagItem("gen_ai.provider.name"), (string?)request.GetTagItem("hybrid.category"),
             (string?)request.GetTagItem("hybrid.route"), (string?)request.GetTagItem("hybrid.decision"), (string?)request.GetTagItem("hybrid.decision_reason"),
             (string?)request.GetTagItem("hybrid.escalation_reason"), (int?)request.GetTagItem("hybrid.attempts"), (int?)request.GetTagItem("hybrid.validation_failures"),
             (bool?)request.GetTagItem("hybrid.output_committed")));
        Assert.True((double)request.GetTagItem("hybrid.cost_usd")! > 0);
        Assert.Null(request.GetTagItem("gen_ai.input.messages"));
        Assert.Null(request.GetTagItem("gen_ai.output.messages"));
    }

    [Fact]
    public async Task WithCaptureMessageContent_TheRequestSpanCarriesPromptAndAnswer()
    {
        using var host = HybridHost.Create(HybridHost.DefaultJson.Replace("\"Routing\": {", "\"Observability\": { \"CaptureMessageContent\": true }, \"Routing\": {", StringComparison.Ordinal));
        host.Local.Reply("Hello there");

        var (request, _) = await RunAsync(() => host.Chat.GetResponseAsync(User("Say hello")));

        Assert.Equal("""[{"role":"user","parts":[{"type":"text","content":"Say hello"}]}]""", request.GetTagItem("gen_ai.input.messages"));
        Assert.Equal("""[{"role":"assistant","parts":[{"type":"text","content":"Hello there"}],"finish_reason":"stop"}]""", request.GetTagItem("gen_ai.output.messages"));
    }

    [Fact]
    public async Task FailedRequest_SpanHasErrorStatus_AndSaysNothingWasCommitted()
    {
        using var host = HybridHost.Create();
        host.Local.Throw(new BackendException(BackendErrorKind.ServerError, "The backend 'local' answered 500.", 500));

        var (request, attempts) = await RunAsync(() => Assert.ThrowsAsync<LocalBackendUnavailableException>(() =>
            host.Chat.GetResponseAsync(User("Summarize the record."), new ChatOptions().WithDataPolicy(DataPolicy.LocalOnly))));

        Assert.Equal(ActivityStatusCode.Error, request.Status);
        Assert.Equal(false, request.GetTagItem("hybrid.output_committed"));
        Assert.Equal(ActivityStatusCode.Error, Assert.Single(attempts).Status);
    }
}

/// <summary>Tests that listen to the library's activity source run one at a time, so each sees only its own spans' listeners.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ActivityListenerCollection
{
    public const string Name = "ActivityListener";
}
