using System.Runtime.Intrinsics;
using Microsoft.Extensions.AI;

namespace HybridInference.Tokens;

/// <summary>
/// The default <see cref="ITokenCounter"/>: an estimate from a single pass over the message text, with no tokenizer.
/// It is an estimate, with a measured error band per kind of text; for exact counts configure a backend's tokenizer.
/// </summary>
/// <remarks>
/// <para>
/// The rules follow how the GPT-style byte-pair tokenizers (<c>cl100k_base</c>, <c>o200k_base</c>) cut text before
/// merging: a run of letters (ASCII and Latin letters with marks) costs a token at its 1st, 8th, 15th, ... letter;
/// a run of digits one per started three digits (numbers are split into groups of three); a run of other ASCII
/// characters (punctuation, symbols) one per started four; a line break (or several) one, unless it follows
/// punctuation, which absorbs it; a run of blanks one if it is longer than one space or starts with a tab (a single
/// space joins the next word), and a single space before a digit one. Other characters cost a fixed share each, in
/// eighths: Latin letters with marks 12 (Latin-1) or 20 (Latin Extended), Cyrillic 5, Arabic 7, kana 8,
/// CJK ideographs, Hangul and full-width forms 10, a supplementary character (an emoji, as a surrogate pair) 16, any
/// other character 16. Each message adds <see cref="TokensPerMessage"/> for its role and delimiters, and the prompt
/// adds <see cref="TokensPerPrompt"/> for the reply's priming, as OpenAI's chat format does. Non-text content
/// (images, data) is not counted.
/// </para>
/// <para>
/// Accuracy, measured on the corpus in the tests (<c>TokenEstimateCalibrationTests</c>, table in README.md): within a
/// few percent of both encodings for JSON and numbers, about 5-10% over for English prose and 10-20% over for code;
/// for Cyrillic, Arabic and CJK it follows <c>cl100k_base</c> (and Llama-style vocabularies of that size) and
/// over-estimates <c>o200k_base</c>, which has larger vocabularies for those scripts, by 1.4 to 3 times.
/// Vocabularies that split every digit (Llama 2, Mistral, Qwen) count numbers 2-3 times higher than this estimate:
/// configure such a backend's <c>Tokenizer</c>.
/// </para>
/// </remarks>
internal sealed partial class HeuristicTokenCounter : ITokenCounter
{
    /// <summary>Tokens for a message's role and delimiters.</summary>
    public const int TokensPerMessage = 4;

    /// <summary>Tokens that prime the reply.</summary>
    public const int TokensPerPrompt = 3;

    /// <summary>A run of letters costs a token at every this many letters.</summary>
    internal const int LettersPerToken = 7;

    /// <summary>A run of digits costs a token at every this many digits.</summary>
    internal const int DigitsPerToken = 3;

    /// <summary>A run of ASCII punctuation and symbols costs a token at every this many characters.</summary>
    internal const int PunctuationPerToken = 4;

    /// <summary>Eighths of a token per Latin-1 letter with a mark (U+00C0-U+00FF), on top of its run.</summary>
    internal const int LatinOneEighths = 12;

    /// <summary>Eighths of a token per Latin Extended letter (U+0100-U+024F), on top of its run.</summary>
    internal const int LatinExtendedEighths = 20;

    /// <summary>Eighths of a token per Cyrillic character (U+0400-U+052F).</summary>
    internal const int CyrillicEighths = 5;

    /// <summary>Eighths of a token per Arabic character (U+0600-U+06FF).</summary>
    internal const int ArabicEighths = 7;

    /// <summary>Eighths of a token per kana character (U+3040-U+30FF).</summary>
    internal const int KanaEighths = 8;

    /// <summary>Eighths of a token per CJK ideograph, Hangul syllable or full-width form.</summary>
    internal const int CjkEighths = 10;

    /// <summary>Eighths of a token per supplementary character (a surrogate pair: most emoji); counted on its high surrogate.</summary>
    internal const int SupplementaryEighths = 16;

    /// <summary>Eighths of a token per other non-ASCII character (symbols, other scripts, marks, joiners).</summary>
    internal const int OtherEighths = 16;

    public int CountPromptTokens(IEnumerable<ChatMessage> messages, ChatOptions? options) =>
        ChatFormat.CountPromptTokens(default(Format), messages, options);

    /// <summary>Estimates the tokens of one piece of text.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The estimated number of tokens.</returns>
    /// <remarks>
    /// It runs over every prompt, so it takes 64 characters at a time as bit masks (one per class of character) and
    /// weighs the non-ASCII characters eight at a time in vector lanes (the masks are made 16 characters at a time
    /// where 256-bit vectors are accelerated, else 8); a block of ASCII skips the latter. The last
    /// block, shorter, is copied into one of 64, masked to its length and read only as far as it goes. Where
    /// vectors are not accelerated, it is counted one character at a time by the same rules.
    /// </remarks>
    public static int CountText(ReadOnlySpan<char> text) => CountText(text, Vector256.IsHardwareAccelerated);

    /// <summary>The estimate, with the block masks made 16 characters at a time (<paramref name="wide"/>) or 8.</summary>
    /// <param name="text">The text.</param>
    /// <param name="wide">Whether to read 256-bit vectors (where they are accelerated) instead of 128-bit ones.</param>
    /// <returns>The estimated number of tokens: the same either way.</returns>
    internal static int CountText(ReadOnlySpan<char> text, bool wide)
    {
        var state = default(EstimateState);
        if (!Vector128.IsHardwareAccelerated)
        {
            CountPerCharacter(text, ref state);
            return state.Total;
        }

        var i = 0;
        for (; i <= text.Length - BlockLength; i += BlockLength)
        {
            CountBlock(text.Slice(i, BlockLength), ref state, ulong.MaxValue, wide);
        }

        var rest = text.Length - i;
        if (rest > 0)
        {
            Span<char> last = stackalloc char[BlockLength];
            text[i..].CopyTo(last);
            last[rest..].Clear();
            CountBlock(last, ref state, (1UL << rest) - 1, wide, (rest + 15) & ~15);
        }

        return state.Total;
    }

    /// <summary>The same rules one character at a time: the tail of <see cref="CountText(ReadOnlySpan{char})"/>, and all of it where vectors are not accelerated.</summary>
    /// <param name="text">The text.</param>
    /// <param name="state">What the text continues (runs, the two characters before); on return, what it ends with, and the counts added.</param>
    internal static void CountPerCharacter(ReadOnlySpan<char> text, ref EstimateState state)
    {
        foreach (var c in text)
        {
            var kind = Classify(c);
            var letter = kind is CharKind.Letter or CharKind.LatinOne or CharKind.LatinExtended;
            if (letter)
            {
                state.Tokens += state.Letters % LettersPerToken == 0 ? 1 : 0;
                state.Letters++;
            }
            else
            {
                state.Letters = 0;
            }

            if (kind == CharKind.Digit)
            {
                state.Tokens += (state.Digits % DigitsPerToken == 0 ? 1 : 0) + ((state.Last & EstimateState.SpaceBefore) != 0 ? 1 : 0);
                state.Digits++;
            }
            else
            {
                state.Digits = 0;
            }

            if (kind == CharKind.Punctuation)
            {
                state.Tokens += state.Punctuation % PunctuationPerToken == 0 ? 1 : 0;
                state.Punctuation++;
            }
            else
            {
                state.Punctuation = 0;
            }

            switch (kind)
            {
                case CharKind.Newline when (state.Last & (EstimateState.NewlineBefore | EstimateState.PunctuationBefore)) == 0:
                    state.Tokens++;
                    break;
                case CharKind.Space when (state.Last & EstimateState.SpaceBefore) != 0 && (state.Last & EstimateState.BlankTwoBefore) == 0:
                case CharKind.Tab when (state.Last & EstimateState.BlankBefore) == 0:
                case CharKind.Tab when (state.Last & EstimateState.SpaceBefore) != 0 && (state.Last & EstimateState.BlankTwoBefore) == 0:
                    state.Tokens++;
                    break;
                default:
                    state.Eighths += Eighths(kind);
                    break;
            }

            state.Shift(kind);
        }
    }

    /// <summary>The estimate's costs of the chat format: a fixed overhead per message, and the text's estimate.</summary>
    private readonly struct Format : IChatFormatCounter
    {
        public int Priming => TokensPerPrompt;

        public int InstructionsOverhead => TokensPerMessage;

        public int Message(ChatMessage message) => TokensPerMessage;

        public int Text(string? text) => CountText(text);

        public int Call(FunctionCallContent call) => CountText(call.Name) + ((call.Arguments?.Count ?? 0) * 4);

        public int Result(FunctionResultContent result) => CountText(result.Result?.ToString());

        public int Schema(string json) => CountText(json);
    }
}
