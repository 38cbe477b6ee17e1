using Microsoft.ML.Tokenizers;

namespace HybridInference.Tokenizers.Tests;

public sealed class TokenizerTokenCounterTests
{
    [Theory]
    [InlineData("o200k_base")]
    [InlineData("cl100k_base")]
    public void CountPromptTokens_CountsTheChatFormat_DelimitersRoleAndText(string encoding)
    {
        var tokenizer = TiktokenTokenizer.CreateForEncoding(encoding);
        var counter = new TokenizerTokenCounter(tokenizer, encoding);
        ChatMessage[] messages =
        [
            new(ChatRole.System, "You answer in one sentence."),
            new(ChatRole.User, "Wie viele Einwohner hat Köln? 1084831 laut 2023, oder?"),
            new(ChatRole.Assistant, "Etwa 1,08 Millionen."),
            new(ChatRole.Tool, "{\"population\":1084831}"),
        ];

        var expected = TokenizerTokenCounter.TokensPerPrompt;
        foreach (var message in messages)
        {
            expected += TokenizerTokenCounter.TokensPerMessage + tokenizer.CountTokens(message.Role.Value) + tokenizer.CountTokens(message.Text);
        }

        Assert.Equal(expected, counter.CountPromptTokens(messages, null));
        Assert.Equal(expected, counter.CountPromptTokens(messages.AsEnumerable(), null)); // not a list: the same count
    }

    [Fact]
    public void CountPromptTokens_CountsInstructionsAuthorAndTools()
    {
        var tokenizer = TiktokenTokenizer.CreateForEncoding("o200k_base");
        var counter = new TokenizerTokenCounter(tokenizer, "o200k_base");
        var tool = AIFunctionFactory.Create((int a, int b) => a + b, "add", "Adds two numbers");
        ChatMessage[] messages = [new(ChatRole.User, "Add 2 and 3.") { AuthorName = "sam" }];

        var plain = counter.CountPromptTokens([new(ChatRole.User, "Add 2 and 3.")], null);
        var full = counter.CountPromptTokens(messages, new ChatOptions { Instructions = "Use the tools.", Tools = [tool] });

        var expected = plain
            + 1 + tokenizer.CountTokens("sam")
            + TokenizerTokenCounter.TokensPerMessage + tokenizer.CountTokens("system") + tokenizer.CountTokens("Use the tools.")
            + tokenizer.CountTokens("add") + tokenizer.CountTokens("Adds two numbers") + tokenizer.CountTokens(((AIFunctionDeclaration)tool).JsonSchema.GetRawText());
        Assert.Equal(expected, full);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(40)]
    [InlineData(200)]
    public void CountPromptTokens_ResentHistory_TokenizesOnlyTheNewMessage(int historyLength)
    {
        var counter = new TokenizerTokenCounter(TiktokenTokenizer.CreateForEncoding("o200k_base"), "o200k_base");
        var history = Enumerable.Range(0, historyLength)
            .Select(i => new ChatMessage(i % 2 == 0 ? ChatRole.User : ChatRole.Assistant, $"Message {i}: " + new string('x', i % 50)))
            .ToList();
        var first = counter.CountPromptTokens(history, null);
        var before = counter.TextsTokenized;

        history.Add(new ChatMessage(ChatRole.User, "One more question about the same thing."));
        var second = counter.CountPromptTokens(history, null);

        Assert.Equal(1, counter.TextsTokenized - before);
        Assert.Equal(first + TokenizerTokenCounter.TokensPerMessage + 1 + counter.CountText("One more question about the same thing."), second);
    }

    [Fact]
    public void CountText_SameTextInAnotherString_CountsTheSame()
    {
        var counter = new TokenizerTokenCounter(TiktokenTokenizer.CreateForEncoding("cl100k_base"), "cl100k_base");
        var text = "A text that arrives twice, deserialized anew.";

        var once = counter.CountText(text);
        var again = counter.CountText(new string(text.AsSpan())); // another instance: not in the cache, counted again

        Assert.Equal(once, again);
        Assert.Equal(2, counter.TextsTokenized - 4); // the four roles were counted when the counter was made
    }
}
