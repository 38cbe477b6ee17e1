using System.Text.RegularExpressions;

namespace HybridInference.Engine.Tests;

/// <summary>
/// The real llama-server's own count (<c>/tokenize</c>, its template measured with <c>/apply-template</c>) decides a
/// prompt near its slot's 2,048 tokens, where the estimate would misjudge the Llama vocabulary: Russian, which the
/// estimate counts nearly twice too high, fits by the server's count and is answered locally though its estimate is over
/// the window; digits, which the vocabulary splits one by one (three times the estimate), are refused locally-only
/// without reaching the server's chat endpoint though their estimate fits. With <c>ServerTokenCount</c> off the estimate
/// decides both the other way, which is the misjudgement the server's count prevents.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed partial class ServerTokenCountTests(EngineFixture engine) : SharedServerTest
{
    private const int Window = 2048;
    private const int Output = 8;

    // 48 sentences: about 2,330 tokens by the estimate, about 1,260 by the server; the room for the prompt is 2,040.
    private static readonly string Russian = string.Concat(Enumerable.Repeat("Москва является столицей России и крупнейшим городом страны, в ней живут миллионы людей. ", 48));

    // 5,400 digits: about 1,800 tokens by the estimate, 5,401 by the server.
    private static readonly string Digits = string.Concat(Enumerable.Range(0, 5400).Select(i => (char)('0' + ((i * 7) % 10))));

    private protected override EngineFixture Shared => engine;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task FitsByTheServersCount_IsAnsweredLocally_ThoughItsEstimateIsOverTheWindow(bool streamed)
    {
        var recorder = new Recorder();
        await using var chain = EngineChain.Build(Settings(serverTokenCount: true), b => b.ConfigureBackend("llama", recorder.AddTo));
        var marker = Guid.NewGuid().ToString("N");

        var (_, outcome) = await chain.AskAsync(marker + " " + Russian, LocalOnly(), streamed);

        Assert.Equal(BackendLane.Local, outcome.Target);
        Assert.True(outcome.PromptTokensExact);
        Assert.InRange(outcome.EstimatedPromptTokens, 1000, Window - Output);
        Assert.Equal(outcome.InputTokens, outcome.EstimatedPromptTokens); // the count is the one the server then reported using
        Assert.Contains(recorder.Prompts, p => p.StartsWith(marker, StringComparison.Ordinal));

        await using var estimateOnly = EngineChain.Build(Settings(serverTokenCount: false));
        var refused = await Assert.ThrowsAsync<ContextWindowExceededException>(() => estimateOnly.AskAsync(marker + " " + Russian, LocalOnly(), streamed));
        Assert.True(refused.RequiredTokens > Window, $"the estimate alone: {refused.RequiredTokens}");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TooLongByTheServersCount_IsRefusedLocally_WithoutReachingTheChatEndpoint(bool streamed)
    {
        var recorder = new Recorder();
        await using var chain = EngineChain.Build(Settings(serverTokenCount: true), b => b.ConfigureBackend("llama", recorder.AddTo));
        var marker = Guid.NewGuid().ToString("N");
        var rejectedBefore = ServerRejections();

        var error = await Assert.ThrowsAsync<ContextWindowExceededException>(() => chain.AskAsync(marker + " " + Digits, LocalOnly(), streamed));

        Assert.InRange(error.RequiredTokens!.Value, 5400 + Output, 5500 + Output); // the server's count and the output
        Assert.Equal(Window, error.ContextWindow);
        Assert.Empty(recorder.Prompts); // the backend was never called ...
        Assert.Equal(rejectedBefore, ServerRejections()); // ... and the server never saw a completion request it could not take
        Assert.False(engine.Cloud.Received(marker));

        // The estimate alone (about 1,800) sends it, and the server itself rejects it.
        var sent = new Recorder();
        await using var estimateOnly = EngineChain.Build(Settings(serverTokenCount: false), b => b.ConfigureBackend("llama", sent.AddTo));
        await Assert.ThrowsAsync<ContextWindowExceededException>(() => estimateOnly.AskAsync(marker + " " + Digits, LocalOnly(), streamed));
        Assert.Contains(sent.Prompts, p => p.StartsWith(marker, StringComparison.Ordinal));
        Assert.True(await RejectionsReachAsync(rejectedBefore + 1), $"the server's log shows {ServerRejections() - rejectedBefore} rejections");
    }

    /// <summary>Waits (up to 10 s) until the server's log shows this many rejections: its output reaches the log a moment after its answer.</summary>
    private async Task<bool> RejectionsReachAsync(int count)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (ServerRejections() < count && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(25);
        }

        return ServerRejections() == count;
    }

    private static ChatOptions LocalOnly() => new ChatOptions { MaxOutputTokens = Output }.WithDataPolicy(DataPolicy.LocalOnly);

    /// <summary>How many completion requests the server has rejected as larger than its context, by its own log.</summary>
    private int ServerRejections() => ExceedsContext().Count(engine.Server.Log);

    private Dictionary<string, string?> Settings(bool serverTokenCount)
    {
        var settings = EngineChain.Settings(engine.Server, engine.Cloud);
        settings["HybridInference:Local:Backends:0:ContextWindow"] = "2048";
        settings["HybridInference:Local:Backends:0:ServerTokenCount"] = serverTokenCount ? "true" : "false";
        return settings;
    }

    [GeneratedRegex("exceeds the available context size")]
    private static partial Regex ExceedsContext();
}
