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
}
