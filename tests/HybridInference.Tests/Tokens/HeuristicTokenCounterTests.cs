using HybridInference.Tokens;

namespace HybridInference.Tests.Tokens;

public sealed class HeuristicTokenCounterTests
{
    [Theory]
    [InlineData("", 0)]
    [InlineData("Hello", 1)]
    [InlineData("Say hello", 2)]
    [InlineData("Hello, world!", 4)]
    [InlineData("internationalization", 3)] // a run of letters: a token at its 1st, 8th and 15th letter
    [InlineData("1234567", 3)] // digits in groups of three
    [InlineData("pay 100 now", 4)] // a single space before a digit is a token of its own
    [InlineData("\":\"", 1)] // punctuation runs: one token per started four
    [InlineData("a\n\n\nb", 3)] // a run of line breaks is one token
    [InlineData("{\nb", 2)] // a line break after punctuation joins it
    [InlineData("a    b", 3)] // blanks longer than one space: one token
    [InlineData("a\tb", 3)] // a tab before a word is a token
    [InlineData("你好世界", 5)] // 4 x 10 eighths, rounded up
    [InlineData("привет", 4)] // 6 x 5 eighths, rounded up
    [InlineData("😀", 2)] // a surrogate pair: 16 eighths
    public void CountText_FollowsTheDocumentedRules(string text, int expected)
    {
        Assert.Equal(expected, HeuristicTokenCounter.CountText(text));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void CountText_MatchesTheRulesWrittenOut_OnRandomText(int seed)
    {
        // Runs of letters, digits and punctuation of every length, spaces, tabs and line breaks in every order,
        // control characters, Latin letters with marks, Cyrillic, Arabic, kana, CJK, other non-ASCII characters
        // (U+00A0, U+2003, U+00B7) and surrogate halves.
        const string Alphabet = "aZ09 \t\n\r\v\f.,;-_{}\"\u001c\u001f\u007f\u00e9\u0142\u00a0\u2003\u00b7\u0434\u0639\u3042\u4f60\uac00\uff01\ud83d\ude00";
        var random = new Random(seed);
        for (var i = 0; i < 2_000; i++)
        {
            // Up to 300 characters: the counter takes 64 at a time, so runs cross block boundaries at every offset.
            var text = new string(Enumerable.Range(0, random.Next(0, 300)).Select(_ => random.Next(3) == 0 ? Alphabet[random.Next(Alphabet.Length)] : Alphabet[random.Next(8)]).ToArray());

            var state = default(EstimateState);
            HeuristicTokenCounter.CountPerCharacter(text, ref state); // the path without vectors
            Assert.Equal(CountAsDocumented(text), HeuristicTokenCounter.CountText(text));
            Assert.Equal(CountAsDocumented(text), HeuristicTokenCounter.CountText(text, wide: false)); // 8 characters a vector
            Assert.Equal(CountAsDocumented(text), HeuristicTokenCounter.CountText(text, wide: true)); // 16
            Assert.Equal(CountAsDocumented(text), state.Total);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Streamed_CountsThePiecesAsTheWholeText_HoweverItIsSplit(int seed)
    {
        // A streamed answer's estimate: pieces of 0 to 150 characters (so that pieces end inside a block, exactly at
        // its end, and span several blocks), read back midway and at the end.
        const string Alphabet = "aZ09 \t\n.,;-_\u00e9\u0434\u3042\u4f60\ud83d\ude00";
        var random = new Random(seed);
        for (var i = 0; i < 500; i++)
        {
            var text = new string(Enumerable.Range(0, random.Next(0, 400)).Select(_ => Alphabet[random.Next(Alphabet.Length)]).ToArray());
            var estimate = default(HeuristicTokenCounter.Streamed);
            var at = 0;
            while (at < text.Length)
            {
                var length = Math.Min(text.Length - at, random.Next(4) == 0 ? random.Next(0, 150) : random.Next(0, 8));
                estimate.Append(text.AsSpan(at, length));
                at += length;
                Assert.Equal(HeuristicTokenCounter.CountText(text.AsSpan(0, at)), estimate.Total());
            }

            Assert.Equal(HeuristicTokenCounter.CountText(text), estimate.Total());
            estimate.Release();
            Assert.Equal(0, estimate.Total());
        }
    }

    [Theory]
    [InlineData('x', HeuristicTokenCounter.LettersPerToken)]
    [InlineData('7', HeuristicTokenCounter.DigitsPerToken)]
    [InlineData('=', HeuristicTokenCounter.PunctuationPerToken)]
    public void CountText_LongRuns_CostATokenPerStartedGroup(char member, int per)
    {
        foreach (var length in new[] { 1, 63, 64, 65, 127, 128, 130, 1000 })
        {
            var groups = (length + per - 1) / per;
            Assert.Equal(groups, HeuristicTokenCounter.CountText(new string(member, length)));
            Assert.Equal(1 + groups, HeuristicTokenCounter.CountText("\t" + new string(member, length)));
        }
    }

    [Fact]
    public void CountPromptTokens_AddsPerMessageAndPrimingOverhead()
    {
        var counter = new HeuristicTokenCounter();
        ChatMessage[] messages = [new(ChatRole.System, "Be brief."), new(ChatRole.User, "Say hello")];

        var tokens = counter.CountPromptTokens(messages, null);

        // "Be brief." = 1 + 1 + 1; "Say hello" = 2; two messages of 4; priming 3.
        Assert.Equal(3 + 2 + (2 * HeuristicTokenCounter.TokensPerMessage) + HeuristicTokenCounter.TokensPerPrompt, tokens);
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

    /// <summary>The documented rules, written the plain way: each run and each character's share counted after the fact, in fractions.</summary>
    private static int CountAsDocumented(string text)
    {
        var tokens = 0;
        var eighths = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            var before = i > 0 ? text[i - 1] : '\uffff'; // at the start: as after a character of no class
            var twoBefore = i > 1 ? text[i - 2] : '\uffff';
            if (IsLetter(c) && !IsLetter(before))
            {
                tokens += (RunLength(text, i, IsLetter) + 6) / 7;
            }
            else if (char.IsAsciiDigit(c) && !char.IsAsciiDigit(before))
            {
                tokens += ((RunLength(text, i, char.IsAsciiDigit) + 2) / 3) + (before == ' ' ? 1 : 0);
            }
            else if (IsPunctuation(c) && !IsPunctuation(before))
            {
                tokens += (RunLength(text, i, IsPunctuation) + 3) / 4;
            }
            else if (c is '\n' or '\r')
            {
                tokens += before is '\n' or '\r' || IsPunctuation(before) ? 0 : 1;
            }
            else if (c is ' ' or '\t' or '\v' or '\f')
            {
                var startsBlanks = !IsBlank(before) && c != ' ';
                var secondAfterSpace = before == ' ' && !IsBlank(twoBefore);
                tokens += startsBlanks || secondAfterSpace ? 1 : 0;
            }

            eighths += c switch
            {
                >= '\u00c0' and <= '\u00ff' => 12,
                >= '\u0100' and <= '\u024f' => 20,
                >= '\u0400' and <= '\u052f' => 5,
                >= '\u0600' and <= '\u06ff' => 7,
                >= '\u3040' and <= '\u30ff' => 8,
                >= '\u2e80' and <= '\u9fff' or >= '\uac00' and <= '\ud7af' or >= '\uf900' and <= '\ufaff' or >= '\uff00' and <= '\uffef' => 10,
                >= '\ud800' and <= '\udbff' => 16,
                >= '\udc00' and <= '\udfff' => 0,
                >= '\u0080' => 16,
                _ => 0,
            };
        }

        return tokens + ((eighths + 7) / 8);

        static bool IsLetter(char c) => char.IsAsciiLetter(c) || c is >= '\u00c0' and <= '\u024f';
        static bool IsBlank(char c) => c is ' ' or '\t' or '\v' or '\f';
        static bool IsPunctuation(char c) => c < '\u0080' && !char.IsAsciiLetterOrDigit(c) && !IsBlank(c) && c is not ('\n' or '\r');
        static int RunLength(string text, int start, Func<char, bool> member)
        {
            var end = start;
            while (end < text.Length && member(text[end]))
            {
                end++;
            }

            return end - start;
        }
    }
}
