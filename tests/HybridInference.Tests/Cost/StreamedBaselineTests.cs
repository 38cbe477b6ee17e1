using HybridInference.Tokens;
using HybridInference.Tests.Chain;
using static HybridInference.Tests.Chain.Requests;

namespace HybridInference.Tests.Cost;

/// <summary>The all-cloud baseline of a streamed answer: counted on its whole text, as the same answer's is when not streamed.</summary>
public sealed class StreamedBaselineTests
{
    [Fact]
    public async Task StreamedAnswer_BaselineOutputTokens_AreTheWholeTextsEstimate_NotTheSumOfItsPieces()
    {
        // Split inside words: counted piece by piece, "Thursd" + "ay" would be 3 tokens of letters; as one word, 2.
        string[] pieces = ["The meet", "ing moved to Thursd", "ay at 1", "0:30, room B", "."];
        var whole = string.Concat(pieces);
        using var host = HybridHost.Create();
        host.Local.ReplyInChunks(pieces);
        host.Local.Reply(whole);

        RouteOutcome? streamed = null;
        await foreach (var update in host.Chat.GetStreamingResponseAsync(User("Summarize the note.")))
        {
            streamed ??= update.GetRouteOutcome();
        }

        var answered = (await host.Chat.GetResponseAsync(User("Summarize the note."))).GetRouteOutcome()!;

        var pieceByPiece = 0;
        foreach (var piece in pieces)
        {
            pieceByPiece += HeuristicTokenCounter.CountText(piece);
        }

        Assert.NotNull(streamed);
        Assert.NotEqual(pieceByPiece, HeuristicTokenCounter.CountText(whole)); // the split matters, so the test can tell
        Assert.Equal(HeuristicTokenCounter.CountText(whole), streamed.CloudBaselineOutputTokens);
        Assert.Equal(answered.CloudBaselineOutputTokens, streamed.CloudBaselineOutputTokens);
        Assert.Equal(answered.CloudBaselineCostUsd - CostOfPrompt(answered), streamed.CloudBaselineCostUsd - CostOfPrompt(streamed), 12);
    }

    /// <summary>The prompt's share of the baseline ($10 a million input tokens in the test host's prices).</summary>
    private static double CostOfPrompt(RouteOutcome outcome) => outcome.CloudBaselineInputTokens * 10.0 / 1_000_000;
}
