using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace HybridInference.Tokens;

/// <summary>The estimate's classes of characters and its 64-character blocks.</summary>
internal sealed partial class HeuristicTokenCounter
{
    /// <summary>The class of a character, as the estimate's rules see it.</summary>
    internal enum CharKind : byte
    {
        /// <summary>An ASCII letter.</summary>
        Letter,

        /// <summary>An ASCII digit.</summary>
        Digit,

        /// <summary>Other printable or control ASCII: punctuation and symbols.</summary>
        Punctuation,

        /// <summary><c>\n</c> or <c>\r</c>.</summary>
        Newline,

        /// <summary>A space.</summary>
        Space,

        /// <summary>A tab, vertical tab or form feed.</summary>
        Tab,

        /// <summary>A Latin-1 letter (U+00C0-U+00FF): part of a run of letters, and a share of its own.</summary>
        LatinOne,

        /// <summary>A Latin Extended letter (U+0100-U+024F): part of a run of letters, and a share of its own.</summary>
        LatinExtended,

        /// <summary>Cyrillic.</summary>
        Cyrillic,

        /// <summary>Arabic.</summary>
        Arabic,

        /// <summary>Hiragana or katakana.</summary>
        Kana,

        /// <summary>A CJK ideograph, a Hangul syllable or a full-width form.</summary>
        Cjk,

        /// <summary>The first half of a surrogate pair.</summary>
        HighSurrogate,

        /// <summary>The second half of a surrogate pair: free, its pair was counted on the first half.</summary>
        LowSurrogate,

        /// <summary>Any other non-ASCII character.</summary>
        Other,
    }

    /// <summary>Classifies one character.</summary>
    internal static CharKind Classify(char c) => c switch
    {
        >= 'a' and <= 'z' or >= 'A' and <= 'Z' => CharKind.Letter,
        >= '0' and <= '9' => CharKind.Digit,
        '\n' or '\r' => CharKind.Newline,
        ' ' => CharKind.Space,
        '\t' or '\v' or '\f' => CharKind.Tab,
        < '\u0080' => CharKind.Punctuation,
        >= '\u00c0' and <= '\u00ff' => CharKind.LatinOne,
        >= '\u0100' and <= '\u024f' => CharKind.LatinExtended,
        >= '\u0400' and <= '\u052f' => CharKind.Cyrillic,
        >= '\u0600' and <= '\u06ff' => CharKind.Arabic,
        >= '\u3040' and <= '\u30ff' => CharKind.Kana,
        >= '\u2e80' and <= '\u9fff' or >= '\uac00' and <= '\ud7af' or >= '\uf900' and <= '\ufaff' or >= '\uff00' and <= '\uffef' => CharKind.Cjk,
        >= '\ud800' and <= '\udbff' => CharKind.HighSurrogate,
        >= '\udc00' and <= '\udfff' => CharKind.LowSurrogate,
        _ => CharKind.Other,
    };

    /// <summary>The eighths of a token a character of this class costs on its own (besides any run it is part of).</summary>
    internal static int Eighths(CharKind kind) => kind switch
    {
        CharKind.LatinOne => LatinOneEighths,
        CharKind.LatinExtended => LatinExtendedEighths,
        CharKind.Cyrillic => CyrillicEighths,
        CharKind.Arabic => ArabicEighths,
        CharKind.Kana => KanaEighths,
        CharKind.Cjk => CjkEighths,
        CharKind.HighSurrogate => SupplementaryEighths,
        CharKind.Other => OtherEighths,
        _ => 0,
    };

    /// <summary>The characters of a block.</summary>
    private const int BlockLength = 64;

    /// <summary>Counts 64 characters by the rules of <see cref="CountPerCharacter"/>, on one bit mask per class.</summary>
    /// <param name="block">The 64 characters.</param>
    /// <param name="state">What the block continues; on return, what it ends with, and the counts added.</param>
    /// <param name="valid">
    /// The characters that are text (bit <c>k</c> for character <c>k</c>): all of them, or for the text's last block, the
    /// first ones; the others must be zero (which weigh nothing) and end the text.
    /// </param>
    /// <param name="wide">Whether to make the masks 16 characters at a time (256-bit vectors) or 8.</param>
    /// <param name="length">How many characters to read: 64, or for the last block the text's, rounded up to 16 (the widest vector read).</param>
    private static void CountBlock(ReadOnlySpan<char> block, ref EstimateState state, ulong valid, bool wide, int length = BlockLength)
    {
        var eighths = 0;
        var masks = wide ? Masks256(block, length, ref eighths) : Masks128(block, length, ref eighths);
        var letter = masks.Letter;
        var digit = masks.Digit;
        var punctuation = masks.Punctuation;
        var newline = masks.Newline;
        var space = masks.Space;
        var tab = masks.Tab;
        letter &= valid;
        digit &= valid;
        punctuation &= valid;
        newline &= valid;
        space &= valid;
        tab &= valid;
        var blank = space | tab;
        var last = state.Last;
        var newlineBefore = (newline << 1) | ((last >> 1) & 1);
        var punctuationBefore = (punctuation << 1) | ((last >> 3) & 1);
        var blankBefore = (blank << 1) | ((last >> 5) & 1);
        var blankTwoBefore = (blank << 2) | ((last >> 4) & 3);
        var spaceBefore = (space << 1) | ((last >> 7) & 1);

        var tokens = Runs(letter, LettersPerToken, ref state.Letters)
            + Runs(digit, DigitsPerToken, ref state.Digits)
            + Runs(punctuation, PunctuationPerToken, ref state.Punctuation)
            + BitOperations.PopCount(digit & spaceBefore)
            + BitOperations.PopCount(newline & ~newlineBefore & ~punctuationBefore)
            + BitOperations.PopCount((tab & ~blankBefore) | (blank & spaceBefore & ~blankTwoBefore));

        state.Tokens += tokens;
        state.Eighths += eighths;
        state.Last = (uint)((newline >> 62) | ((punctuation >> 62) << 2) | ((blank >> 62) << 4) | ((space >> 62) << 6));
    }

    /// <summary>The classes of a block's characters, one bit per character.</summary>
    private struct Masks
    {
        public ulong Letter;
        public ulong Digit;
        public ulong Punctuation;
        public ulong Newline;
        public ulong Space;
        public ulong Tab;

        /// <summary>Adds the classes of the characters read from character <paramref name="shift"/> on (one bit each).</summary>
        public void Add(uint letter, uint digit, uint punctuation, uint newline, uint space, uint tab, int shift)
        {
            Letter |= (ulong)letter << shift;
            Digit |= (ulong)digit << shift;
            Punctuation |= (ulong)punctuation << shift;
            Newline |= (ulong)newline << shift;
            Space |= (ulong)space << shift;
            Tab |= (ulong)tab << shift;
        }
    }

    /// <summary>Classifies a block eight characters at a time (where 256-bit vectors are not accelerated).</summary>
    private static Masks Masks128(ReadOnlySpan<char> block, int length, ref int eighths)
    {
        var masks = default(Masks);
        ref var first = ref Unsafe.As<char, ushort>(ref MemoryMarshal.GetReference(block));
        for (nuint k = 0; k < (nuint)length; k += 8)
        {
            var v = Vector128.LoadUnsafe(ref first, k);
            var isDigit = Vector128.LessThan(v - Vector128.Create((ushort)'0'), Vector128.Create((ushort)10));
            var isLetter = Vector128.LessThan((v | Vector128.Create((ushort)0x20)) - Vector128.Create((ushort)'a'), Vector128.Create((ushort)26));
            var isNewline = Vector128.Equals(v, Vector128.Create((ushort)'\n')) | Vector128.Equals(v, Vector128.Create((ushort)'\r'));
            var isSpace = Vector128.Equals(v, Vector128.Create((ushort)' '));
            var isTab = Vector128.Equals(v, Vector128.Create((ushort)'\t')) | Vector128.LessThan(v - Vector128.Create((ushort)'\v'), Vector128.Create((ushort)2));
            var isAscii = Vector128.LessThan(v, Vector128.Create((ushort)0x80));
            var isPunctuation = Vector128.AndNot(isAscii, isDigit | isLetter | isNewline | isSpace | isTab);
            if (isAscii != Vector128<ushort>.AllBitsSet)
            {
                isLetter |= Weigh(v, ref eighths);
            }

            masks.Add(
                isLetter.ExtractMostSignificantBits(), isDigit.ExtractMostSignificantBits(), isPunctuation.ExtractMostSignificantBits(),
                isNewline.ExtractMostSignificantBits(), isSpace.ExtractMostSignificantBits(), isTab.ExtractMostSignificantBits(), (int)k);
        }

        return masks;
    }

    /// <summary>Classifies a block sixteen characters at a time: the same tests as <see cref="Masks128"/>, on twice the width.</summary>
    private static Masks Masks256(ReadOnlySpan<char> block, int length, ref int eighths)
    {
        var masks = default(Masks);
        ref var first = ref Unsafe.As<char, ushort>(ref MemoryMarshal.GetReference(block));
        for (nuint k = 0; k < (nuint)length; k += 16)
        {
            var v = Vector256.LoadUnsafe(ref first, k);
            var isDigit = Vector256.LessThan(v - Vector256.Create((ushort)'0'), Vector256.Create((ushort)10));
            var isLetter = Vector256.LessThan((v | Vector256.Create((ushort)0x20)) - Vector256.Create((ushort)'a'), Vector256.Create((ushort)26));
            var isNewline = Vector256.Equals(v, Vector256.Create((ushort)'\n')) | Vector256.Equals(v, Vector256.Create((ushort)'\r'));
            var isSpace = Vector256.Equals(v, Vector256.Create((ushort)' '));
            var isTab = Vector256.Equals(v, Vector256.Create((ushort)'\t')) | Vector256.LessThan(v - Vector256.Create((ushort)'\v'), Vector256.Create((ushort)2));
            var isAscii = Vector256.LessThan(v, Vector256.Create((ushort)0x80));
            var isPunctuation = Vector256.AndNot(isAscii, isDigit | isLetter | isNewline | isSpace | isTab);
            if (isAscii != Vector256<ushort>.AllBitsSet)
            {
                isLetter |= Vector256.Create(Weigh(v.GetLower(), ref eighths), Weigh(v.GetUpper(), ref eighths));
            }

            masks.Add(
                isLetter.ExtractMostSignificantBits(), isDigit.ExtractMostSignificantBits(), isPunctuation.ExtractMostSignificantBits(),
                isNewline.ExtractMostSignificantBits(), isSpace.ExtractMostSignificantBits(), isTab.ExtractMostSignificantBits(), (int)k);
        }

        return masks;
    }

    /// <summary>Adds the eighths of eight characters that are not all ASCII; returns the lanes that are Latin letters (part of a run of letters).</summary>
    private static Vector128<ushort> Weigh(Vector128<ushort> v, ref int eighths)
    {
        var latinOne = InRange(v, 0x00c0, 0x00ff);
        var latinExtended = InRange(v, 0x0100, 0x024f);
        var cyrillic = InRange(v, 0x0400, 0x052f);
        var arabic = InRange(v, 0x0600, 0x06ff);
        var kana = InRange(v, 0x3040, 0x30ff);
        var cjk = Vector128.AndNot(InRange(v, 0x2e80, 0x9fff), kana) | InRange(v, 0xac00, 0xd7af) | InRange(v, 0xf900, 0xfaff) | InRange(v, 0xff00, 0xffef);
        var high = InRange(v, 0xd800, 0xdbff);
        var low = InRange(v, 0xdc00, 0xdfff);
        var other = Vector128.AndNot(
            Vector128.GreaterThanOrEqual(v, Vector128.Create((ushort)0x80)),
            latinOne | latinExtended | cyrillic | arabic | kana | cjk | high | low);
        var weights = (latinOne & Vector128.Create((ushort)LatinOneEighths))
            | (latinExtended & Vector128.Create((ushort)LatinExtendedEighths))
            | (cyrillic & Vector128.Create((ushort)CyrillicEighths))
            | (arabic & Vector128.Create((ushort)ArabicEighths))
            | (kana & Vector128.Create((ushort)KanaEighths))
            | (cjk & Vector128.Create((ushort)CjkEighths))
            | (high & Vector128.Create((ushort)SupplementaryEighths))
            | (other & Vector128.Create((ushort)OtherEighths));
        eighths += Vector128.Sum(weights);
        return latinOne | latinExtended;
    }

    private static Vector128<ushort> InRange(Vector128<ushort> v, ushort low, ushort high) =>
        Vector128.LessThan(v - Vector128.Create(low), Vector128.Create((ushort)(high - low + 1)));

    /// <summary>
    /// Counts the tokens of the runs in <paramref name="member"/>: one at a run's 1st character and at every
    /// <paramref name="per"/>th after; <paramref name="run"/> carries the length of a run across blocks.
    /// </summary>
    private static int Runs(ulong member, int per, ref int run)
    {
        var counted = member & ~(member << 1);
        if (run > 0)
        {
            // The run from the previous block goes on: its next token is at block position 0 to per - 1, if it lasts that long.
            counted &= ~1UL;
            var next = (per - (run % per)) % per;
            var through = (2UL << next) - 1;
            if ((member & through) == through)
            {
                counted |= 1UL << next;
            }
        }

        // A counted character's run yields another token per characters on while the run lasts.
        var inARow = member;
        for (var j = 1; j < per; j++)
        {
            inARow &= member << j;
        }

        var tokens = 0;
        for (; counted != 0; counted = (counted << per) & inARow)
        {
            tokens += BitOperations.PopCount(counted);
        }

        run = member == ulong.MaxValue ? run + 64 : BitOperations.LeadingZeroCount(~member);
        return tokens;
    }
}
