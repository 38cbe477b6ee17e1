using HybridInference.Telemetry;
using Polly.CircuitBreaker;
using static HybridInference.Tests.Chain.Requests;

namespace HybridInference.Tests.Chain;

/// <summary>The assembled chain from AddHybridInference: the decision table, end to end.</summary>
public sealed partial class HybridChainTests
{
    [Fact]
    public async Task Routine_ShortPrompt_RunsLocally()
    {
        using var host = HybridHost.Create();
        host.Local.Reply("Hello!", inputTokens: 12, outputTokens: 9);

        var response = await host.Chat.GetResponseAsync(User("Summarize this note in one line."));

        Assert.Equal("Hello!", response.Text);
        var outcome = response.GetRouteOutcome()!;
        Assert.Equal(BackendLane.Local, outcome.Target);
        Assert.Equal("local", outcome.Backend);
        Assert.Equal(RouteTarget.Local, outcome.Decision);
        Assert.Equal(RouteReason.Default, outcome.DecisionReason);
        Assert.False(outcome.Escalated);
        Assert.Equal(1, outcome.Attempts);
        Assert.Equal(12, outcome.InputTokens);
        Assert.Equal(9, outcome.OutputTokens);
        Assert.Empty(host.Cloud!.Requests);
    }

    [Theory]
    [InlineData(TaskCategory.Complex)]
    [InlineData(TaskCategory.SafetyCritical)]
    public async Task DemandingCategory_GoesToCloud(TaskCategory category)
    {
        using var host = HybridHost.Create();
        host.Cloud!.Reply("careful answer");

        var response = await host.Chat.GetResponseAsync(User("Question"), new ChatOptions().WithTaskCategory(category));

        var outcome = response.GetRouteOutcome()!;
        Assert.Equal(BackendLane.Cloud, outcome.Target);
        Assert.Equal(RouteReason.Category, outcome.DecisionReason);
        Assert.Equal(EscalationReason.Category, outcome.EscalationReason);
        Assert.Equal(category, outcome.Category);
        Assert.Empty(host.Local.Requests);
        Assert.Equal(1, host.Metrics.Sum(HybridInferenceTelemetry.Escalations, ("reason", "category")));
    }

    [Fact]
    public async Task PromptOverLocalContextLimit_GoesToCloud()
    {
        using var host = HybridHost.Create();
        host.Cloud!.Reply("summary");

        var response = await host.Chat.GetResponseAsync(User(LongText(2000)));

        var outcome = response.GetRouteOutcome()!;
        Assert.Equal(BackendLane.Cloud, outcome.Target);
        Assert.Equal(RouteReason.ContextLimit, outcome.DecisionReason);
        Assert.True(outcome.EstimatedPromptTokens > 4096);
    }

    [Fact]
    public async Task PromptUnderLimit_ButOutputLimitPushesItOver_GoesToCloud()
    {
        using var host = HybridHost.Create();
        host.Cloud!.Reply("summary");

        var response = await host.Chat.GetResponseAsync(User(LongText(1000)), new ChatOptions { MaxOutputTokens = 2000 });

        Assert.Equal(RouteReason.ContextLimit, response.GetRouteOutcome()!.DecisionReason);
    }

    [Fact]
    public async Task JsonRequest_ValidLocalOutput_StaysLocalWithOneAttempt()
    {
        using var host = HybridHost.Create();
        host.Local.Reply(ValidPerson);

        var response = await host.Chat.GetResponseAsync(User("Extract the person."), Json());

        var outcome = response.GetRouteOutcome()!;
        Assert.Equal(RouteTarget.Local, outcome.Decision);
        Assert.Equal(RouteReason.JsonRequired, outcome.DecisionReason);
        Assert.Equal(BackendLane.Local, outcome.Target);
        Assert.Equal(1, outcome.Attempts);
        Assert.Equal(0, outcome.ValidationFailures);
    }

    [Fact]
    public async Task JsonRequest_InvalidThenValid_RetriesLocallyWithTheErrors()
    {
        using var host = HybridHost.Create();
        host.Local.Reply("""{"name":"Ada"}""").Reply(ValidPerson);

        var response = await host.Chat.GetResponseAsync(User("Extract the person."), Json());

        var outcome = response.GetRouteOutcome()!;
        Assert.Equal(BackendLane.Local, outcome.Target);
        Assert.Equal(2, outcome.Attempts);
        Assert.Equal(1, outcome.ValidationFailures);
        var retry = host.Local.Requests[1];
        Assert.Contains("missing required property 'age'", retry.LastUserText);
        Assert.Contains("Return ONLY valid JSON", retry.LastUserText);
        Assert.Empty(host.Cloud!.Requests);
    }

    [Fact]
    public async Task JsonRequest_InvalidTwice_EscalatesToCloudWithTheOriginalPrompt()
    {
        using var host = HybridHost.Create();
        host.Local.Reply("not json at all").Reply("""{"name":"Ada","age":"old"}""");
        host.Cloud!.Reply(ValidPerson);

        var response = await host.Chat.GetResponseAsync(User("Extract the person."), Json());

        var outcome = response.GetRouteOutcome()!;
        Assert.Equal(BackendLane.Cloud, outcome.Target);
        Assert.Equal(EscalationReason.ValidationFailed, outcome.EscalationReason);
        Assert.Equal(3, outcome.Attempts);
        Assert.Equal(2, outcome.ValidationFailures);
        Assert.Equal(2, host.Local.Requests.Count);
        var escalated = Assert.Single(host.Cloud.Requests);
        Assert.Equal("Extract the person.", Assert.Single(escalated.Messages).Text);
        Assert.Equal(2, host.Metrics.Sum(HybridInferenceTelemetry.ValidationFailures, ("backend", "local")));
        Assert.Equal(1, host.Metrics.Sum(HybridInferenceTelemetry.Escalations, ("reason", "validation_failed")));
    }

    [Fact]
    public async Task JsonRequest_CloudAnswerInvalidToo_FailsWithoutLooping()
    {
        using var host = HybridHost.Create();
        host.Local.Reply("{}").Reply("{}");
        host.Cloud!.Reply("{}");

        var error = await Assert.ThrowsAsync<OutputValidationException>(() => host.Chat.GetResponseAsync(User("Extract."), Json()));

        Assert.Contains(error.Errors, e => e.Keyword == "required");
        Assert.Equal(2, host.Local.Requests.Count);
        Assert.Single(host.Cloud.Requests);
    }

    [Fact]
    public async Task LocalOnly_Complex_RunsLocallyAndSaysSo()
    {
        using var host = HybridHost.Create();
        host.Local.Reply("done locally");

        var options = new ChatOptions().WithTaskCategory(TaskCategory.Complex).WithDataPolicy(DataPolicy.LocalOnly);
        var response = await host.Chat.GetResponseAsync(User("Patient record ..."), options);

        var outcome = response.GetRouteOutcome()!;
        Assert.Equal(BackendLane.Local, outcome.Target);
        Assert.Equal(RouteReason.LocalOnly, outcome.DecisionReason);
        Assert.Equal(TaskCategory.Complex, outcome.Category);
        Assert.Empty(host.Cloud!.Requests);
    }

    [Fact]
    public async Task LocalOnly_LocalFails_TypedErrorAndCloudReceivesNothing()
    {
        using var host = HybridHost.Create();
        host.Local.Throw(new HttpRequestException("connection refused"));

        var options = new ChatOptions().WithDataPolicy(DataPolicy.LocalOnly);
        var error = await Assert.ThrowsAsync<LocalBackendUnavailableException>(() => host.Chat.GetResponseAsync(User("Private"), options));

        Assert.IsType<HttpRequestException>(error.InnerException);
        Assert.Contains("local-only", error.Message);
        Assert.Empty(host.Cloud!.Requests);
    }

    [Fact]
    public async Task LocalOnly_JsonInvalidAfterRetries_TypedErrorAndCloudReceivesNothing()
    {
        using var host = HybridHost.Create();
        host.Local.Reply("nope").Reply("still nope");

        var options = Json().WithDataPolicy(DataPolicy.LocalOnly);
        var error = await Assert.ThrowsAsync<OutputValidationException>(() => host.Chat.GetResponseAsync(User("Private"), options));

        Assert.Equal("json", error.Errors[0].Keyword);
        Assert.Equal(2, host.Local.Requests.Count);
        Assert.Empty(host.Cloud!.Requests);
    }

    [Fact]
    public async Task LocalOnly_TooLongForEveryLocalWindow_FailsNamingTheSizes()
    {
        using var host = HybridHost.Create();

        var options = new ChatOptions().WithDataPolicy(DataPolicy.LocalOnly);
        var error = await Assert.ThrowsAsync<ContextWindowExceededException>(() => host.Chat.GetResponseAsync(User(LongText(4000)), options));

        Assert.Equal(8192, error.ContextWindow);
        Assert.True(error.RequiredTokens > 8192);
        Assert.Contains("8192", error.Message);
        Assert.Empty(host.Local.Requests);
        Assert.Empty(host.Cloud!.Requests);
    }

    [Fact]
    public async Task Routine_LocalFails_EscalatesAsLocalError()
    {
        using var host = HybridHost.Create();
        host.Local.Throw(new HttpRequestException("503 model loading"));
        host.Cloud!.Reply("from cloud");

        var response = await host.Chat.GetResponseAsync(User("Translate 'hello' to French."));

        var outcome = response.GetRouteOutcome()!;
        Assert.Equal(BackendLane.Cloud, outcome.Target);
        Assert.Equal(EscalationReason.LocalError, outcome.EscalationReason);
        Assert.Equal(2, outcome.Attempts);
    }

    [Fact]
    public async Task LocalContextRejection_EscalatesAsContextLimit()
    {
        using var host = HybridHost.Create();
        host.Local.Throw(new ContextWindowExceededException("request (9000 tokens) exceeds the available context size (8192 tokens)"));
        host.Cloud!.Reply("from cloud");

        var response = await host.Chat.GetResponseAsync(User("Summarize."));

        Assert.Equal(EscalationReason.ContextLimit, response.GetRouteOutcome()!.EscalationReason);
    }

    [Fact]
    public async Task NoCloudConfigured_EverythingRunsLocally()
    {
        const string Json = """
            { "HybridInference": { "Local": { "Backends": [ { "Name": "local", "Model": "local-model" } ] } } }
            """;
        using var host = HybridHost.Create(Json, withCloud: false);
        host.Local.Reply("offline answer");

        var response = await host.Chat.GetResponseAsync(User("Question"), new ChatOptions().WithTaskCategory(TaskCategory.SafetyCritical));

        var outcome = response.GetRouteOutcome()!;
        Assert.Equal(BackendLane.Local, outcome.Target);
        Assert.Equal(RouteReason.NoCloudBackend, outcome.DecisionReason);
    }

    [Fact]
    public async Task NoCloudConfigured_LocalFails_TypedError()
    {
        const string Json = """
            { "HybridInference": { "Local": { "Backends": [ { "Name": "local" } ] } } }
            """;
        using var host = HybridHost.Create(Json, withCloud: false);
        host.Local.Throw(new TimeoutException("local timed out"));

        var error = await Assert.ThrowsAsync<LocalBackendUnavailableException>(() => host.Chat.GetResponseAsync(User("Question")));

        Assert.Contains("no cloud backend is configured", error.Message);
    }

    [Fact]
    public async Task Breaker_OpensPast15Percent_ThenCloudUntilLocalRecovers()
    {
        using var host = HybridHost.Create();
        host.Cloud!.DefaultReply = _ => "cloud";

        // 20 local requests in the window, 4 of them failing: 20% > 15%.
        for (var i = 0; i < 16; i++)
        {
            host.Local.Reply("ok");
        }

        for (var i = 0; i < 4; i++)
        {
            host.Local.Throw(new HttpRequestException("500"));
        }

        for (var i = 0; i < 20; i++)
        {
            await host.Chat.GetResponseAsync(User("Summarize."));
        }

        var state = host.Chat.GetService<CircuitBreakerStateProvider>()!;
        Assert.Equal(CircuitState.Open, state.CircuitState);
        host.Metrics.RecordObservableInstruments();
        Assert.Equal(1, host.Metrics.Of(HybridInferenceTelemetry.CircuitState).Last(m => m.Tag("lane") == "local").Value);
        Assert.Equal(0, host.Metrics.Of(HybridInferenceTelemetry.CircuitState).Last(m => m.Tag("lane") == "cloud").Value);

        // While open, routable traffic goes straight to the cloud: the local backend is not called.
        var localCalls = host.Local.Requests.Count;
        var open = await host.Chat.GetResponseAsync(User("Summarize."));
        Assert.Equal(RouteReason.CircuitOpen, open.GetRouteOutcome()!.DecisionReason);
        Assert.Equal(localCalls, host.Local.Requests.Count);

        // After the break, a trial request goes local; it succeeds and the circuit closes.
        host.Time.Advance(TimeSpan.FromSeconds(31));
        host.Local.Reply("recovered");
        var trial = await host.Chat.GetResponseAsync(User("Summarize."));
        Assert.Equal(BackendLane.Local, trial.GetRouteOutcome()!.Target);
        Assert.Equal(CircuitState.Closed, state.CircuitState);
        host.Metrics.RecordObservableInstruments();
        Assert.Equal(0, host.Metrics.Of(HybridInferenceTelemetry.CircuitState).Last(m => m.Tag("lane") == "local").Value);
    }

    [Fact]
    public async Task Breaker_StaysClosedAt10Percent()
    {
        using var host = HybridHost.Create();
        host.Cloud!.DefaultReply = _ => "cloud";
        for (var i = 0; i < 18; i++)
        {
            host.Local.Reply("ok");
        }

        host.Local.Throw(new HttpRequestException("500")).Throw(new HttpRequestException("500"));
        for (var i = 0; i < 20; i++)
        {
            await host.Chat.GetResponseAsync(User("Summarize."));
        }

        Assert.Equal(CircuitState.Closed, host.Chat.GetService<CircuitBreakerStateProvider>()!.CircuitState);
    }

    [Fact]
    public async Task Breaker_ValidationFailuresCountAsLocalFailures()
    {
        using var host = HybridHost.Create();
        host.Cloud!.DefaultReply = _ => ValidPerson;
        host.Local.DefaultReply = _ => "not json";

        // Each request: two invalid local answers (both count), then the cloud.
        for (var i = 0; i < 10; i++)
        {
            await host.Chat.GetResponseAsync(User("Extract."), Json());
        }

        Assert.Equal(CircuitState.Open, host.Chat.GetService<CircuitBreakerStateProvider>()!.CircuitState);
    }

    [Fact]
    public async Task Breaker_OpenWithLocalOnlyRequest_FailsFastWithoutCloud()
    {
        using var host = HybridHost.Create();
        host.Cloud!.DefaultReply = _ => "cloud";
        host.Local.DefaultReply = _ => throw new HttpRequestException("down");
        for (var i = 0; i < 20; i++)
        {
            await host.Chat.GetResponseAsync(User("Summarize."));
        }

        var cloudCalls = host.Cloud.Requests.Count;
        var localCalls = host.Local.Requests.Count;
        var error = await Assert.ThrowsAsync<LocalBackendUnavailableException>(
            () => host.Chat.GetResponseAsync(User("Private"), new ChatOptions().WithDataPolicy(DataPolicy.LocalOnly)));

        Assert.IsType<BrokenCircuitException>(error.InnerException);
        Assert.Equal(cloudCalls, host.Cloud.Requests.Count);
        Assert.Equal(localCalls, host.Local.Requests.Count);
    }

    [Fact]
    public async Task Outcome_CarriesCostAndTheAllCloudBaseline()
    {
        using var host = HybridHost.Create();
        host.Local.Reply("local", inputTokens: 1000, outputTokens: 500);
        host.Cloud!.Reply("cloud", inputTokens: 1000, outputTokens: 500);

        var local = (await host.Chat.GetResponseAsync(User("Summarize."))).GetRouteOutcome()!;
        var cloud = (await host.Chat.GetResponseAsync(User("Prove it."), new ChatOptions().WithTaskCategory(TaskCategory.Complex))).GetRouteOutcome()!;

        // $10 in, $30 out per million. The cloud's baseline is its reported usage (1000 + 500 = 0.025); the local answer's
        // is not the local usage but the cloud model's count: with no tokenizer registered, the estimate.
        Assert.Equal(0, local.CostUsd);
        var answerEstimate = HybridInference.Tokens.HeuristicTokenCounter.CountText("local");
        Assert.Equal((local.EstimatedPromptTokens, answerEstimate, false), (local.CloudBaselineInputTokens, local.CloudBaselineOutputTokens, local.CloudBaselineTokensExact));
        Assert.Equal(((local.EstimatedPromptTokens * 10.0) + (answerEstimate * 30.0)) / 1_000_000, local.CloudBaselineCostUsd, 12);
        Assert.Equal(0.025, cloud.CostUsd, 9);
        Assert.Equal(0.025, cloud.CloudBaselineCostUsd, 9);
        Assert.Equal((1000L, 500L, true), (cloud.CloudBaselineInputTokens, cloud.CloudBaselineOutputTokens, cloud.CloudBaselineTokensExact));
        Assert.Equal(0.025, host.Metrics.Sum(HybridInferenceTelemetry.TaskCost, ("target", "cloud")), 9);
        Assert.Equal(0, host.Metrics.Sum(HybridInferenceTelemetry.TaskCost, ("target", "local")));
        Assert.Equal("USD", host.Metrics.Collector<double>(HybridInferenceTelemetry.TaskCost).Instrument?.Unit);
    }

    [Fact]
    public async Task Metrics_DispatchesAndTokenUsage_CarryTheDocumentedTags()
    {
        using var host = HybridHost.Create();
        host.Local.Reply("a", inputTokens: 12, outputTokens: 9);
        host.Cloud!.Reply("b", inputTokens: 20, outputTokens: 5);

        await host.Chat.GetResponseAsync(User("Summarize."));
        await host.Chat.GetResponseAsync(User("Is this dosage safe?"));

        Assert.Equal(1, host.Metrics.Sum(HybridInferenceTelemetry.Dispatches, ("target", "local"), ("backend", "local"), ("category", "routine")));
        Assert.Equal(1, host.Metrics.Sum(HybridInferenceTelemetry.Dispatches, ("target", "cloud"), ("backend", "cloud"), ("category", "safety_critical")));
        Assert.Equal(12, host.Metrics.Sum(HybridInferenceTelemetry.TokenUsage, ("gen_ai.token.type", "input"), ("gen_ai.provider.name", "vllm")));
        Assert.Equal(5, host.Metrics.Sum(HybridInferenceTelemetry.TokenUsage, ("gen_ai.token.type", "output"), ("gen_ai.request.model", "cloud-model")));
        Assert.Equal(2, host.Metrics.Of(HybridInferenceTelemetry.OperationDuration).Count);
    }
}
