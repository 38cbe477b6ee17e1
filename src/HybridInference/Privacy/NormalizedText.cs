using System.Buffers;
using System.Globalization;
using System.Text;

namespace HybridInference.Privacy;

/// <summary>
/// A text as the personal-data detector matches it, with each character's position in the original, so that a match
/// found here can be redacted in the original. Folds what would otherwise hide personal data from a pattern:
/// Unicode compatibility forms (NFKC: full-width digits and <c>＠</c>, mathematical digits, ligatures), decimal
/// digits of every script to ASCII digits, every dash to <c>-</c>, every space to a space, ideographic full stops
/// (domain separators in internationalised domain names) to <c>.</c>; it drops invisible characters (zero-width
/// spaces and joiners, soft hyphens, bidirectional controls, variation selectors, control characters).
/// </summary>
/// <remarks>
/// Printable ASCII text (the common case) is used as it is: no copy, no map. Otherwise the folded text and its map
/// live in pooled arrays, returned by <see cref="Dispose"/>.
/// </remarks>
internal ref struct NormalizedText
{
    private const int Keep = -1;
    private const int Drop = -2;

    /// <summary>The characters that never change: printable ASCII, tab, line feed and carriage return.</summary>
    private static readonly SearchValues<char> Plain = SearchValues.Create(
        "\t\n\r !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~");

    private readonly ReadOnlySpan<char> _original;
    private char[]? _chars;
    private int[]? _origin;
    private readonly int _length;

    private NormalizedText(ReadOnlySpan<char> original, ReadOnlySpan<char> text, char[]? chars, int[]? origin, int length)
    {
        _original = original;
        Text = text;
        _chars = chars;
        _origin = origin;
        _length = length;
    }

    /// <summary>Gets the folded text.</summary>
    public ReadOnlySpan<char> Text { get; private set; }

    /// <summary>Folds <paramref name="text"/>.</summary>
    public static NormalizedText Create(string text)
    {
        var span = text.AsSpan();
        var first = span.IndexOfAnyExcept(Plain);
        if (first < 0)
        {
            return new NormalizedText(span, span, null, null, span.Length);
        }

        var chars = ArrayPool<char>.Shared.Rent(span.Length + 16);
        var origin = ArrayPool<int>.Shared.Rent(span.Length + 17);
        span[..first].CopyTo(chars);
        for (var k = 0; k < first; k++)
        {
            origin[k] = k;
        }

        var n = first;
        Span<char> one = stackalloc char[2];
        for (var i = first; i < span.Length;)
        {
            var c = span[i];
            var start = i;
            if (c < 0x80)
            {
                i++;
                if (Plain.Contains(c))
                {
                    Append(ref chars, ref origin, ref n, c, start);
                }

                continue; // An ASCII control character: invisible.
            }

            if (Rune.DecodeFromUtf16(span[i..], out var rune, out var consumed) != OperationStatus.Done)
            {
                rune = Rune.ReplacementChar;
                consumed = 1;
            }

            i += consumed;
            var mapped = Map(rune);
            if (mapped == Drop)
            {
                continue;
            }

            if (mapped != Keep)
            {
                Append(ref chars, ref origin, ref n, (char)mapped, start);
                continue;
            }

            var length = rune.EncodeToUtf16(one);
            if (one[..length].IsNormalized(NormalizationForm.FormKC))
            {
                for (var k = 0; k < length; k++)
                {
                    Append(ref chars, ref origin, ref n, one[k], start);
                }

                continue;
            }

            // A compatibility form (rare): fold it, and map what it folds to the same way (full-width hyphen, space).
            foreach (var folded in new string(one[..length]).Normalize(NormalizationForm.FormKC))
            {
                var again = folded < 0x80 ? Keep : Map(new Rune(char.IsSurrogate(folded) ? '\uFFFD' : folded));
                if (again != Drop)
                {
                    Append(ref chars, ref origin, ref n, again == Keep ? folded : (char)again, start);
                }
            }
        }

        origin[n] = span.Length;
        return new NormalizedText(span, chars.AsSpan(0, n), chars, origin, n);
    }

    /// <summary>Gets where a match of the folded text lies in the original text.</summary>
    /// <param name="index">Where the match starts in <see cref="Text"/>.</param>
    /// <param name="length">Its length in <see cref="Text"/>.</param>
    /// <returns>The original characters it came from, invisible characters inside it included.</returns>
    public readonly (int Index, int Length) ToOriginal(int index, int length)
    {
        if (_origin is null)
        {
            return (index, length);
        }

        // Each folded character comes from one original character (a surrogate pair counts as one); invisible ones
        // around the match are left out, those inside it are in.
        var start = _origin[index];
        var last = _origin[index + length - 1];
        var end = last + (char.IsHighSurrogate(_original[last]) && last + 1 < _original.Length && char.IsLowSurrogate(_original[last + 1]) ? 2 : 1);
        return (start, end - start);
    }

    /// <summary>Returns the pooled arrays.</summary>
    public void Dispose()
    {
        if (_chars is not null)
        {
            ArrayPool<char>.Shared.Return(_chars);
            ArrayPool<int>.Shared.Return(_origin!);
            _chars = null;
            _origin = null;
            Text = default;
        }
    }

    /// <summary>What a non-ASCII character becomes: <see cref="Drop"/>, <see cref="Keep"/> (then folded by NFKC), or one ASCII character.</summary>
    private static int Map(Rune rune)
    {
        switch (rune.Value)
        {
            case 0x3002 or 0xFF61: // Ideographic and halfwidth ideographic full stops: label separators in IDNA.
                return '.';
            case 0x2212: // Minus sign.
                return '-';
            case 0x034F or (>= 0xFE00 and <= 0xFE0F) or (>= 0xE0100 and <= 0xE01EF) or (>= 0x180B and <= 0x180D) or
                0x115F or 0x1160 or 0x3164 or 0xFFA0: // Combining grapheme joiner, variation selectors, Hangul fillers.
                return Drop;
        }

        return Rune.GetUnicodeCategory(rune) switch
        {
            UnicodeCategory.Format or UnicodeCategory.Control or UnicodeCategory.Surrogate => Drop,
            UnicodeCategory.SpaceSeparator => ' ',
            UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator => '\n',
            UnicodeCategory.DashPunctuation => '-',
            UnicodeCategory.DecimalDigitNumber when Rune.GetNumericValue(rune) is >= 0 and <= 9 and var value => '0' + (int)value,
            _ => Keep,
        };
    }

    private static void Append(ref char[] chars, ref int[] origin, ref int n, char c, int from)
    {
        if (n + 1 >= chars.Length)
        {
            var bigger = ArrayPool<char>.Shared.Rent(chars.Length * 2);
            var biggerOrigin = ArrayPool<int>.Shared.Rent((chars.Length * 2) + 1);
            chars.AsSpan(0, n).CopyTo(bigger);
            origin.AsSpan(0, n).CopyTo(biggerOrigin);
            ArrayPool<char>.Shared.Return(chars);
            ArrayPool<int>.Shared.Return(origin);
            chars = bigger;
            origin = biggerOrigin;
        }

        chars[n] = c;
        origin[n] = from;
        n++;
    }
}
