using System.Collections.Concurrent;
using HybridInference.Tokenizers.Tests;

namespace HybridInference.Engine.Tests;

/// <summary>
/// History fitting against the real llama-server, whose slots hold 2,048 tokens (<c>-c 8192 -np 4</c>), with the
/// model's SentencePiece tokenizer as the backend's <c>Tokenizer</c>: a local-only 60-turn chat never fails for length,
/// every prompt the server was sent (answers and summaries) fits its slot with the request's <c>max_tokens</c> by the
/// chain's exact count, and the server (its own count, <c>usage.prompt_tokens</c>) holds every prompt. The server's
/// chat template spends about one token per message more than the counter's accounting (TokenizerTokenCounter's
/// OpenAI-style overheads); the test prints the gap.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class HistoryFittingEngineTests(EngineFixture engine, Xunit.Abstractions.ITestOutputHelper output) : SharedServerTest
{
    private const int SlotWindow = 2048;
    private const int DefaultOutputTokens = 48;

    private protected override EngineFixture Shared => engine;

    [Fact]
    public async Task LocalOnlySixtyTurnChat_Summarized_NeverFailsForLength_AndEveryPromptFitsTheSlot()
    {
        var settings = EngineChain.Settings(engine.Server, engine.Cloud);
        settings["HybridInference:Local:Backends:0:Tokenizer"] = TinyTokenizer.Path;
        settings["HybridInference:Local:Backends:0:ContextWindow"] = SlotWindow.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["HybridInference:Routing:DefaultOutputTokens"] = DefaultOutputTokens.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["HybridInference:Local:History:Mode"] = "Summarize";
        settings["HybridInference:Local:History:SummaryMaxTokens"] = "96";
        var sent = new ConcurrentQueue<(long Served, int Counted, int MaxTokens)>();
        ITokenCounter? exact = null;
        await using var chain = EngineChain.Build(settings, b => b.AddTokenizers().ConfigureBackend("llama", backend => backend.Use(inner => new UsageRecorder(inner, () => exact, sent))));
        Assert.True(((ITokenCounterProvider)chain.Services.GetService(typeof(ITokenCounterProvider))!).TryGetExactCounter("llama", out exact), "the llama backend has no exact counter");

        var history = new List<ChatMessage> { new(ChatRole.System, "You are the support assistant of a parcel carrier.") };
        int reduced = 0, summaryCalls = 0;
        for (var turn = 0; turn < 60; turn++)
        {
            history.Add(new ChatMessage(ChatRole.User, $"Parcel {1000 + turn} to depot {turn % 7} was scanned on day {turn % 28 + 1}; is it on the van for tomorrow, and what is its delivery window?"));
            var response = await chain.Chat.GetResponseAsync(history, new ChatOptions().WithDataPolicy(DataPolicy.LocalOnly));
            var outcome = response.GetRouteOutcome()!;
            Assert.Equal(BackendLane.Local, outcome.Target);
            reduced += outcome.History is { Fitted: true } ? 1 : 0;
            summaryCalls += outcome.History?.SummaryCalls ?? 0;
            history.AddMessages(response);
        }

        var largest = sent.Max(s => s.Counted + s.MaxTokens);
        var largestServed = sent.Max(s => s.Served + s.MaxTokens);
        output.WriteLine(
            $"{reduced} of 60 turns fitted, {summaryCalls} summarizing calls, {sent.Count} server calls; the largest prompt + max_tokens: {largest} of {SlotWindow} "
            + $"by the chain's exact count, {largestServed} by the server's (its chat template spends up to {sent.Max(s => s.Served - s.Counted)} tokens more than the counter's accounting)");
        Assert.True(reduced > 20, $"only {reduced} turns were fitted: the chat did not outgrow the slot");
        Assert.True(summaryCalls > 0);
        Assert.True(largest <= SlotWindow, $"a prompt of the chain's exact count plus its max_tokens is {largest}, over the slot's {SlotWindow}");
        Assert.True(sent.Max(s => s.Served) < SlotWindow, "the server was sent a prompt its slot cannot hold");
    }

    /// <summary>Keeps what the server counted of each prompt it answered, with the output limit it was sent (the request's, else the reserve the backend sends).</summary>
    private sealed class UsageRecorder(IChatClient inner, Func<ITokenCounter?> counter, ConcurrentQueue<(long Served, int Counted, int MaxTokens)> sent) : DelegatingChatClient(inner)
    {
        public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var response = await base.GetResponseAsync(messages, options, cancellationToken);
                        var served = response.Usage?.InputTokenCount ?? throw new InvalidOperationException("the server reported no usage");
            sent.Enqueue((served, (counter() ?? throw new InvalidOperationException("no exact counter")).CountPromptTokens(messages, options), options?.MaxOutputTokens ?? DefaultOutputTokens));
            return response;
        }
    }
}
