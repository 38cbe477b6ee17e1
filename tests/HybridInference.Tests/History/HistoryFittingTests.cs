using HybridInference.Telemetry;
using HybridInference.Tests.Chain;
using HybridInference.Tokens;
using Microsoft.Extensions.DependencyInjection;

namespace HybridInference.Tests.History;

/// <summary>
/// History fitting through the chain <c>AddHybridInference</c> builds (<c>Local:History</c>), with a local window of
/// 2,048 tokens and a 256-token answer reserve: a long chat stays local every turn, each prompt the local model is sent
/// fits the window by the chain's count, a local-only chat never fails for length, the summarizing calls are in the
/// outcome, and the next turn reuses the cached summary.
/// </summary>
public sealed class HistoryFittingTests
{
    private const int Window = 2048;
    private const int Reserve = 256;

    private static readonly HeuristicTokenCounter Estimate = new();

    [Theory]
    [InlineData("Summarize", false)]
    [InlineData("Summarize", true)]
    [InlineData("Trim", false)]
    public async Task SixtyTurnChat_StaysLocalEveryTurn_AndEachPromptFitsTheWindow(string mode, bool streaming)
    {
        using var host = Host(mode);

        var outcomes = await ChatAsync(host.Chat, turns: 60, streaming: streaming);

        Assert.All(outcomes, o => Assert.Equal((BackendLane.Local, TaskCategory.Routine), (o.Target, o.Category)));
        Assert.Empty(host.Cloud!.Requests);
        var reduced = outcomes.Where(o => o.History is not null).ToList();
        Assert.True(reduced.Count > 30, $"only {reduced.Count} of 60 turns were reduced: the chat does not outgrow the window");
        Assert.All(reduced, o => Assert.True(o.History!.Fitted && o.History.PromptTokensAfter + Reserve <= Window && o.History.PromptTokensBefore + Reserve > Window));
        foreach (var request in Answers(host.Local))
        {
            Assert.True(Estimate.CountPromptTokens(request.Messages, request.Options) + Reserve <= Window, "a prompt the local model was sent does not fit its window");
            Assert.Equal(ChatRole.System, request.Messages[0].Role);
        }

        AssertEachAnswerIsOfItsTurn(host.Local, 60);
    }

    [Theory]
    [InlineData("Trim")]
    [InlineData("Summarize")]
    public async Task LocalOnlySixtyTurnChat_NeverFailsForLength(string mode)
    {
        using var host = Host(mode, withCloud: false);

        var outcomes = await ChatAsync(host.Chat, turns: 60, localOnly: true);

        Assert.All(outcomes, o => Assert.Equal(BackendLane.Local, o.Target));
        Assert.Contains(outcomes, o => o.History is { Fitted: true });
    }

    [Fact]
    public async Task Summarize_TheSummarizingCallsAreInTheOutcome_AndTheNextTurnHitsTheCache()
    {
        using var host = Host("Summarize");
        var outcomes = await ChatAsync(host.Chat, turns: 40);

        var first = outcomes.First(o => o.History is not null).History!;
        Assert.True(first is { Summarized: true, SummaryFromCache: false, SummaryCalls: >= 1, SummaryInputTokens: > 0, SummaryOutputTokens: > 0, SummaryCostUsd: > 0 });
        var next = outcomes[outcomes.FindIndex(o => o.History is not null) + 1];
        Assert.True(next.History is { Summarized: true, SummaryFromCache: true, SummaryCalls: 0, SummaryCostUsd: 0 });

        // Every summarizing call is counted in some turn's outcome; most turns reuse a summary.
        Assert.Equal(Summaries(host.Local), outcomes.Sum(o => o.History?.SummaryCalls ?? 0));
        Assert.True(Summaries(host.Local) < outcomes.Count(o => o.History is not null) / 2, $"{Summaries(host.Local)} summarizing calls for {outcomes.Count(o => o.History is not null)} reduced turns");
        Assert.True(next.CostUsd > 0);
        var firstOutcome = outcomes.First(o => o.History is not null);
        Assert.True(firstOutcome.CostUsd > first.SummaryCostUsd, "the summary's cost is not part of the request's");
    }

    [Fact]
    public async Task Reductions_AreCounted_ByModeAndSummarySource()
    {
        using var host = Host("Summarize");
        var outcomes = await ChatAsync(host.Chat, turns: 40);

        var reduced = outcomes.Count(o => o.History is not null);
        Assert.True(reduced > 0 && outcomes.Any(o => o.History is { SummaryFromCache: true }) && outcomes.Any(o => o.History is { Summarized: true, SummaryFromCache: false }));
        Assert.Equal(reduced, host.Metrics.Sum(HybridInferenceTelemetry.HistoryReductions, ("mode", "summarize"), ("result", "fitted")));
        Assert.Equal(outcomes.Count(o => o.History is { SummaryFromCache: true }), host.Metrics.Sum(HybridInferenceTelemetry.HistorySummaries, ("source", "cache")));
        Assert.Equal(outcomes.Count(o => o.History is { Summarized: true, SummaryFromCache: false }), host.Metrics.Sum(HybridInferenceTelemetry.HistorySummaries, ("source", "model")));
        Assert.Equal(
            outcomes.Sum(o => o.History is { } h ? h.PromptTokensBefore - h.PromptTokensAfter : 0),
            host.Metrics.Sum(HybridInferenceTelemetry.HistoryTokensRemoved, ("mode", "summarize")));
    }

    [Fact]
    public async Task FittingOn_ALongConversationThatFits_IsNotComplex()
    {
        using var host = Host("Trim");
        var messages = Enumerable.Range(0, 30).Select(i => new ChatMessage(i % 2 == 0 ? ChatRole.User : ChatRole.Assistant, $"short {i}")).ToList();

        var outcome = (await host.Chat.GetResponseAsync(messages)).GetRouteOutcome()!;

        Assert.Equal((BackendLane.Local, TaskCategory.Routine, RouteReason.Default), (outcome.Target, outcome.Category, outcome.DecisionReason));
        Assert.Null(outcome.History);
    }

    [Fact]
    public async Task Trim_NeverPartsAToolCallFromItsResult_NorDropsTheLastTurn()
    {
        using var host = Host("Trim");
        var messages = new List<ChatMessage> { new(ChatRole.System, "You are a helpful assistant.") };
        for (var i = 0; i < 30; i++)
        {
            messages.Add(new ChatMessage(ChatRole.User, Turn(i)));
            messages.Add(new ChatMessage(ChatRole.Assistant, [new FunctionCallContent($"call{i}", "lookup", new Dictionary<string, object?> { ["q"] = Turn(i) })]));
            messages.Add(new ChatMessage(ChatRole.Tool, [new FunctionResultContent($"call{i}", Turn(i + 100))]));
            messages.Add(new ChatMessage(ChatRole.Assistant, Turn(i + 200)));
        }

        messages.Add(new ChatMessage(ChatRole.User, Turn(30)));
        messages.Add(new ChatMessage(ChatRole.Assistant, [new FunctionCallContent("last", "lookup")]));
        messages.Add(new ChatMessage(ChatRole.Tool, [new FunctionResultContent("last", "found")]));

        var outcome = (await host.Chat.GetResponseAsync(messages)).GetRouteOutcome()!;

        Assert.True(outcome.History is { Fitted: true, TurnsRemoved: > 0 });
        var sent = Assert.Single(host.Local.Requests).Messages;
        var calls = sent.SelectMany(m => m.Contents).OfType<FunctionCallContent>().Select(c => c.CallId).ToHashSet();
        var results = sent.SelectMany(m => m.Contents).OfType<FunctionResultContent>().Select(r => r.CallId).ToHashSet();
        Assert.Equal(calls, results);
        Assert.Equal(messages[^3..], sent.TakeLast(3));
        Assert.Equal(Turn(30), sent[^3].Text);
    }

    [Fact]
    public async Task SummarizerFails_TheOlderTurnsAreTrimmed_AndTheAnswerStaysLocal()
    {
        using var host = Host("Summarize");
        host.Local.DefaultReply = r => IsSummary(r) ? throw new HttpRequestException("summarizer down") : "answer " + Turn(500);

        var outcomes = await ChatAsync(host.Chat, turns: 25);

        var reduced = outcomes.Where(o => o.History is not null).ToList();
        Assert.NotEmpty(reduced);
        Assert.All(reduced, o => Assert.True(o.History is { Fitted: true, Mode: HistoryMode.Trim, Summarized: false, SummaryCalls: >= 1 }));
        Assert.All(outcomes, o => Assert.Equal(BackendLane.Local, o.Target));
    }

    [Fact]
    public async Task PluggedReducer_FromTheServices_IsUsed_AndTrimmedFurtherWhenItIsNotEnough()
    {
#pragma warning disable MEAI001 // MessageCountingChatReducer is experimental.
        using var host = Host("Trim", services: s => s.AddSingleton<IChatReducer>(new MessageCountingChatReducer(200)));
#pragma warning restore MEAI001

        var outcomes = await ChatAsync(host.Chat, turns: 30);

        var reduced = outcomes.Where(o => o.History is not null).ToList();
        Assert.NotEmpty(reduced);
        Assert.All(reduced, o => Assert.True(o.History is { Fitted: true, Mode: null } && o.History.PromptTokensAfter + Reserve <= Window));
        Assert.All(outcomes, o => Assert.Equal(BackendLane.Local, o.Target));
    }

    [Fact]
    public async Task PluggedReducer_ThatDropsTheLastUserMessage_IsReplacedByTheBuiltInTrim()
    {
        using var host = Host("Trim", services: s => s.AddSingleton<IChatReducer>(new DropsEverything()));

        var outcomes = await ChatAsync(host.Chat, turns: 25);

        Assert.All(outcomes.Where(o => o.History is not null), o => Assert.Equal(HistoryMode.Trim, o.History!.Mode));
        AssertEachAnswerIsOfItsTurn(host.Local, 25);
        Assert.Contains(outcomes, o => o.History is not null);
    }

    [Fact]
    public async Task Routable_ALastTurnTooLongForTheWindow_GoesToTheCloudUnreduced()
    {
        using var host = Host("Trim");
        var messages = new List<ChatMessage> { new(ChatRole.User, "old"), new(ChatRole.Assistant, "old answer"), new(ChatRole.User, string.Join(' ', Enumerable.Repeat(Turn(1), 60))) };

        var outcome = (await host.Chat.GetResponseAsync(messages)).GetRouteOutcome()!;

        Assert.Equal((BackendLane.Cloud, RouteReason.ContextLimit), (outcome.Target, outcome.DecisionReason));
        Assert.True(outcome.History is { Fitted: false });
        Assert.Equal(3, Assert.Single(host.Cloud!.Requests).Messages.Count);
    }

    /// <summary>Plays a chat of <paramref name="turns"/> user messages, each answered, keeping the whole history as a chat app does.</summary>
    internal static async Task<List<RouteOutcome>> ChatAsync(IChatClient chat, int turns, bool localOnly = false, bool streaming = false)
    {
        var history = new List<ChatMessage> { new(ChatRole.System, "You are a helpful assistant.") };
        var outcomes = new List<RouteOutcome>();
        for (var i = 0; i < turns; i++)
        {
            history.Add(new ChatMessage(ChatRole.User, Turn(i)));
            var options = localOnly ? new ChatOptions().WithDataPolicy(DataPolicy.LocalOnly) : new ChatOptions();
            var response = streaming
                ? (await chat.GetStreamingResponseAsync(history, options).ToListAsync()).ToChatResponse()
                : await chat.GetResponseAsync(history, options);
            outcomes.Add(response.GetRouteOutcome() ?? throw new InvalidOperationException($"turn {i} has no outcome"));
            history.AddMessages(response);
        }

        return outcomes;
    }

    /// <summary>The user message of turn <paramref name="i"/>: about 60 tokens, different every turn.</summary>
    internal static string Turn(int i) =>
        $"Turn {i}: please keep track of order {i * 7919 % 10007} for customer {i * 31}, shipped to warehouse {i % 13} on day {i % 28 + 1}, "
        + $"and tell me whether the invoice number {i * 104729 % 1000003} matches the delivery note, the pallet count {i % 40} and the carrier's reference code.";

    /// <summary>The k-th answer the local model was asked for is of turn k: its last user message is that turn's, never left out.</summary>
    private static void AssertEachAnswerIsOfItsTurn(FakeChatClient local, int turns)
    {
        var answers = Answers(local).ToList();
        Assert.Equal(turns, answers.Count);
        for (var k = 0; k < turns; k++)
        {
            Assert.Equal(Turn(k), answers[k].LastUserText);
        }
    }

    private static bool IsSummary(FakeChatRequest request) =>
        request.Messages[0].Role == ChatRole.System && request.Messages[0].Text.StartsWith("You condense conversations", StringComparison.Ordinal);

    private static IEnumerable<FakeChatRequest> Answers(FakeChatClient local) => local.Requests.Where(r => !IsSummary(r));

    private static int Summaries(FakeChatClient local) => local.Requests.Count(IsSummary);

    private static HybridHost Host(string mode, bool withCloud = true, Action<IServiceCollection>? services = null)
    {
        var host = HybridHost.Create(
            $$"""
            {
              "HybridInference": {
                "Routing": { "DefaultOutputTokens": {{Reserve}} },
                "Local": { "History": { "Mode": "{{mode}}" },
                           "Backends": [ { "Name": "local", "Provider": "vllm", "Model": "local-model", "ContextWindow": {{Window}} } ] },
                {{(withCloud ? "\"Cloud\": { \"Backends\": [ { \"Name\": \"cloud\", \"Provider\": \"openai\", \"Model\": \"cloud-model\" } ] }," : string.Empty)}}
                "LocalCost": { "InputPerMillionTokens": 1.0, "OutputPerMillionTokens": 2.0 },
                "Pricing": { "cloud-model": { "InputPerMillionTokens": 10.0, "OutputPerMillionTokens": 30.0 } }
              }
            }
            """,
            withCloud,
            services);
        host.Local.DefaultReply = r => IsSummary(r) ? "The user tracks orders, invoices and pallets; the assistant confirmed each." : "answer: " + Turn(1000 + host.Local.Requests.Count);
        if (host.Cloud is not null)
        {
            host.Cloud.DefaultReply = _ => "cloud answer";
        }

        return host;
    }

    /// <summary>A reducer that leaves out everything but the system messages, the last user message included.</summary>
#pragma warning disable MEAI001 // IChatReducer is experimental.
    private sealed class DropsEverything : IChatReducer
    {
        public Task<IEnumerable<ChatMessage>> ReduceAsync(IEnumerable<ChatMessage> messages, CancellationToken cancellationToken) =>
            Task.FromResult(messages.Where(m => m.Role == ChatRole.System));
    }
#pragma warning restore MEAI001
}
