using HybridInference.Tokens;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.ML.Tokenizers;
using Xunit.Abstractions;

namespace HybridInference.Tokenizers.Tests;

public sealed class TokenEstimateBandTests(ITestOutputHelper output)
{
    private static readonly int[] Limits = [512, 768, 1024, 1536, 2048, 3072, 4096, 6144, 8192, 12288, 16384, 24576, 32768];

    [Fact]
    public void Band_EnclosesEveryKindsStatedBand()
    {
        foreach (var (kind, bands) in TokenEstimateCalibrationTests.Bands)
        {
            foreach (var (low, high) in bands)
            {
                Assert.True(low >= TokenEstimateBand.LowestRatio, $"{kind}: {low} is under the overall band's {TokenEstimateBand.LowestRatio}");
                Assert.True(high <= TokenEstimateBand.HighestRatio, $"{kind}: {high} is over the overall band's {TokenEstimateBand.HighestRatio}");
            }
        }
    }

    [Theory]
    [InlineData("o200k_base")]
    [InlineData("cl100k_base")]
    [InlineData("Llama SentencePiece")]
    public void SurelyFitsAndSurelyExceeds_OnTheCorpus_NeverContradictTheExactCount(string encoding)
    {
        var estimate = new ServiceCollection().AddHybridInference(_ => { }).Services.BuildServiceProvider().GetRequiredService<ITokenCounter>();
        var exact = encoding == "Llama SentencePiece"
            ? new TokenizerTokenCounter(TokenizerLoader.Load(TinyTokenizer.Path).Tokenizer, encoding)
            : new TokenizerTokenCounter(TiktokenTokenizer.CreateForEncoding(encoding), encoding);
        int decided = 0, near = 0;
        var wrong = new List<string>();
        foreach (var (name, _, messages) in Corpus.Load())
        {
            // Each text alone and repeated (a chat: its history resent), so that prompts reach every limit up to 32,768.
            foreach (var times in new[] { 1, 3, 9, 27 })
            {
                var prompt = Enumerable.Repeat(messages, times).SelectMany(m => m).ToList();
                var estimated = estimate.CountPromptTokens(prompt, null);
                var counted = exact.CountPromptTokens(prompt, null);
                foreach (var limit in Limits)
                {
                    var fits = TokenEstimateBand.SurelyFits(estimated, limit);
                    var exceeds = TokenEstimateBand.SurelyExceeds(estimated, limit);
                    Assert.False(fits && exceeds);
                    if ((fits && counted > limit) || (exceeds && counted <= limit))
                    {
                        wrong.Add($"{name} x{times}: estimate {estimated}, exact {counted}, limit {limit}: decided {(fits ? "fits" : "exceeds")}");
                    }

                    (fits || exceeds ? ref decided : ref near)++;
                }
            }
        }

        output.WriteLine($"{encoding}: {decided} of {decided + near} (prompt, limit) pairs decided on the estimate, {near} near a limit");
        Assert.True(wrong.Count == 0, string.Join(Environment.NewLine, wrong));
    }

    [Theory]
    [InlineData(0, 1, true, false)]
    [InlineData(1, 4, true, false)]
    [InlineData(2, 4, false, false)]
    [InlineData(1228, 4096, true, false)]
    [InlineData(1229, 4096, false, false)]
    [InlineData(13516, 4096, false, false)]
    [InlineData(13517, 4096, false, true)]
    [InlineData(int.MaxValue, 32768, false, true)]
    public void SurelyFitsAndSurelyExceeds_AtTheBandsEdges(int estimate, int limit, bool fits, bool exceeds)
    {
        Assert.Equal(fits, TokenEstimateBand.SurelyFits(estimate, limit));
        Assert.Equal(exceeds, TokenEstimateBand.SurelyExceeds(estimate, limit));
    }
}
