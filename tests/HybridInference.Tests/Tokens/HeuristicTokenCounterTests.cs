using HybridInference.Tokens;

namespace HybridInference.Tests.Tokens;

public sealed class HeuristicTokenCounterTests
{
    [Theory]
    [InlineData("", 0)]
    [InlineData("Hello", 2)]
    [InlineData("Say hello", 3)]
    [InlineData("Hello, world!", 6)]
    [InlineData("你好世界", 4)]
    public void CountText_FollowsTheDocumentedRules(string text, int expected)
    {
        Assert.Equal(expected, HeuristicTokenCounter.CountText(text));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void CountText_MatchesTheRulesWrittenOut_OnRandomText(int seed)
    {
        // Runs of letters and digits of every length, ASCII punctuation and white space, control characters,
        // non-ASCII letters, non-ASCII white space (U+00A0, U+2003) and surrogate halves.
        const string Alphabet = "aZ09 \t\n\r\v\f.,;-_{}\"\u001c\u001f\u007f\u00e9\u00a0\u2003\u4f60\ud83d\ude00";
        var random = new Random(seed);
        for (var i = 0; i < 2_000; i++)
        {
            // Up to 300 characters: the counter takes 64 at a time, so runs cross block boundaries at every offset.
            var text = new string(Enumerable.Range(0, random.Next(0, 300)).Select(_ => random.Next(3) == 0 ? Alphabet[random.Next(Alphabet.Length)] : Alphabet[random.Next(4)]).ToArray());

            var run = 0;
            Assert.Equal(CountAsDocumented(text), HeuristicTokenCounter.CountText(text));
            Assert.Equal(CountAsDocumented(text), HeuristicTokenCounter.CountPerCharacter(text, ref run)); // the path without vectors
        }
    }

    [Theory]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(130)]
    [InlineData(1000)]
    public void CountText_LongRunsOfLetters_CostATokenPerStartedFourCharacters(int length)
    {
        Assert.Equal((length + 3) / 4, HeuristicTokenCounter.CountText(new string('x', length)));
        Assert.Equal(1 + ((length + 3) / 4), HeuristicTokenCounter.CountText("." + new string('x', length)));
    }

    [Fact]
    public void CountPromptTokens_AddsPerMessageAndPrimingOverhead()
    {
        var counter = new HeuristicTokenCounter();
        ChatMessage[] messages = [new(ChatRole.System, "Be brief."), new(ChatRole.User, "Say hello")];

        var tokens = counter.CountPromptTokens(messages, null);

        // "Be brief." = 1 + 2 + 1; "Say hello" = 3; two messages of 4; priming 3.
        Assert.Equal(4 + 3 + (2 * HeuristicTokenCounter.TokensPerMessage) + HeuristicTokenCounter.TokensPerPrompt, tokens);
    }

    [Fact]
    public void CountPromptTokens_EnglishProse_WithinFifteenPercentOfFourCharactersPerToken()
    {
        // The common reference for English with GPT-style BPE: about four characters per token.
        const string Prose = "The quarterly report shows that revenue grew in every region, while costs stayed flat. " +
            "Customers in the northern markets renewed their contracts at a higher rate than last year, and the " +
            "support team closed most tickets within a day. Management expects similar results next quarter.";

        var estimate = HeuristicTokenCounter.CountText(Prose);

        var reference = Prose.Length / 4.0;
        Assert.InRange(estimate, reference * 0.85, reference * 1.15);
    }

    [Fact]
    public void CountPromptTokens_CountsInstructionsAndTools()
    {
        var counter = new HeuristicTokenCounter();
        var plain = counter.CountPromptTokens([new(ChatRole.User, "Hi")], null);
        var withExtras = counter.CountPromptTokens(
            [new(ChatRole.User, "Hi")],
            new ChatOptions { Instructions = "Answer in French.", Tools = [AIFunctionFactory.Create((int a, int b) => a + b, "add", "Adds two numbers")] });

        Assert.True(withExtras > plain + 10);
    }

    /// <summary>The documented rules, written the plain way: one token per started four characters of each run of ASCII letters and digits, one per other character that is not ASCII white space.</summary>
    private static int CountAsDocumented(string text)
    {
        var tokens = 0;
        var run = 0;
        foreach (var c in text)
        {
            if (char.IsAsciiLetterOrDigit(c))
            {
                run++;
                continue;
            }

            tokens += (run + 3) / 4;
            run = 0;
            if (!(char.IsAscii(c) && char.IsWhiteSpace(c)))
            {
                tokens++;
            }
        }

        return tokens + ((run + 3) / 4);
    }
}
