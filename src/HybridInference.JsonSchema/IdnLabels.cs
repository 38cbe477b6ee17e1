using System.Globalization;

namespace HybridInference.JsonSchema;

/// <summary>
/// Checks the A-labels (<c>xn--</c>) of a hostname: valid Punycode, and the IDNA2008 rules a decoded label must
/// keep (RFC 5891/5892): no leading combining mark, no disallowed exceptions, and the contextual rules for the
/// characters only valid beside certain others.
/// </summary>
internal static class IdnLabels
{
    private static readonly IdnMapping Mapping = new() { AllowUnassigned = true, UseStd3AsciiRules = false };

    // RFC 5892 section 2.6: exceptions that are DISALLOWED.
    private static readonly char[] Disallowed = ['\u0640', '\u07FA', '\u302E', '\u302F', '\u3031', '\u3032', '\u3033', '\u3034', '\u3035', '\u303B'];

    // Characters of canonical combining class Virama, which a ZERO WIDTH (NON-)JOINER must follow.
    private static readonly char[] Viramas =
    [
        '\u094D', '\u09CD', '\u0A4D', '\u0ACD', '\u0B4D', '\u0BCD', '\u0C4D', '\u0CCD', '\u0D3B', '\u0D3C', '\u0D4D', '\u0DCA',
        '\u0E3A', '\u0EBA', '\u0F84', '\u1039', '\u103A', '\u1714', '\u1734', '\u17D2', '\u1A60', '\u1B44', '\u1BAA', '\u1BAB',
        '\u1BF2', '\u1BF3', '\u2D7F', '\uA806', '\uA8C4', '\uA953', '\uA9C0', '\uAAF6', '\uABED',
    ];

    /// <summary>Checks one label; labels that are not A-labels only need to avoid <c>--</c> in the third and fourth position.</summary>
    public static bool IsValidALabel(string label)
    {
        if (label.Length >= 4 && label[2] == '-' && label[3] == '-')
        {
            if (!label.StartsWith("xn--", StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }
        else
        {
            return true;
        }

        string unicode;
        try
        {
            unicode = Mapping.GetUnicode(label);
        }
        catch (ArgumentException)
        {
            return false;
        }

        return IsValidULabel(unicode);
    }

    private static bool IsValidULabel(string label)
    {
        if (label.Length == 0 || CharUnicodeInfo.GetUnicodeCategory(label, 0) is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark)
        {
            return false;
        }

        if (label.AsSpan().IndexOfAny(Disallowed) >= 0)
        {
            return false;
        }

        var hasArabicIndic = false;
        var hasExtendedArabicIndic = false;
        for (var i = 0; i < label.Length; i++)
        {
            var c = label[i];
            var before = i > 0 ? label[i - 1] : '\0';
            var after = i + 1 < label.Length ? label[i + 1] : '\0';
            var valid = c switch
            {
                '\u00B7' => before == 'l' && after == 'l', // MIDDLE DOT, as in Catalan "l·l"
                '\u0375' => IsGreek(after), // GREEK KERAIA
                '\u05F3' or '\u05F4' => IsHebrew(before), // HEBREW GERESH, GERSHAYIM
                '\u30FB' => HasJapanese(label), // KATAKANA MIDDLE DOT
                '\u200D' => Array.IndexOf(Viramas, before) >= 0, // ZERO WIDTH JOINER
                '\u200C' => Array.IndexOf(Viramas, before) >= 0 || (IsJoiningLetter(before) && IsJoiningLetter(after)), // ZERO WIDTH NON-JOINER
                _ => true,
            };
            if (!valid)
            {
                return false;
            }

            hasArabicIndic |= c is >= '\u0660' and <= '\u0669';
            hasExtendedArabicIndic |= c is >= '\u06F0' and <= '\u06F9';
        }

        return !(hasArabicIndic && hasExtendedArabicIndic);
    }

    /// <summary>Approximates the joining letters (joining types L, D, R) of the ZWNJ rule by the Arabic and Syriac letters.</summary>
    private static bool IsJoiningLetter(char c) =>
        CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.OtherLetter && c is (>= '\u0620' and <= '\u06FF') or (>= '\u0710' and <= '\u074F') or (>= '\u0750' and <= '\u077F');

    private static bool IsGreek(char c) => c is (>= '\u0370' and <= '\u03FF') or (>= '\u1F00' and <= '\u1FFF');

    private static bool IsHebrew(char c) => c is >= '\u0590' and <= '\u05FF';

    private static bool HasJapanese(string label)
    {
        foreach (var c in label)
        {
            if (c is (>= '\u3040' and <= '\u309F') or (>= '\u30A0' and <= '\u30FA') or (>= '\u30FC' and <= '\u30FF') or (>= '\u4E00' and <= '\u9FFF'))
            {
                return true;
            }
        }

        return false;
    }
}
