using System.Text.RegularExpressions;

namespace HybridInference;

/// <summary>
/// The built-in personal-data detector: email addresses, phone numbers, payment card numbers (Luhn-checked), national
/// ID numbers (US Social Security numbers, UK National Insurance numbers) and IBANs (ISO 13616 mod-97 checked), plus
/// any custom patterns. All patterns run in linear time (<see cref="RegexOptions.NonBacktracking"/>), so a hostile
/// prompt cannot make detection slow. Matches are checked where a checksum exists, and overlapping matches are
/// resolved in that order of precedence (a card number is not also reported as a phone number).
/// </summary>
public sealed class PiiDetector : IPiiDetector
{
    private const RegexOptions Linear = RegexOptions.NonBacktracking | RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture;

    private static readonly Regex PaymentCard = new(@"\b[0-9](?:[ -]?[0-9]){12,18}\b", Linear);
    private static readonly Regex Iban = new(@"\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}\b", Linear);
    private static readonly Regex Ssn = new(@"\b[0-9]{3}-[0-9]{2}-[0-9]{4}\b", Linear);
    private static readonly Regex Nino = new(@"\b[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-D]\b", Linear | RegexOptions.IgnoreCase);
    private static readonly Regex Email = new(@"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}", Linear);
    private static readonly Regex Phone = new(@"(?:\+[0-9]{1,3}[ .-]?)?(?:\([0-9]{1,4}\)[ .-]?)?[0-9]{2,4}(?:[ .-]?[0-9]{2,4}){2,4}", Linear);

    private readonly (string Kind, Regex Pattern, Func<string, bool> IsValid)[] _detectors;

    /// <summary>Initializes a new instance of the <see cref="PiiDetector"/> class with the built-in kinds and the options' custom patterns.</summary>
    /// <param name="options">The custom patterns; none when <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">A custom pattern is not a valid linear-time regular expression.</exception>
    public PiiDetector(PrivacyOptions? options = null)
    {
        List<(string, Regex, Func<string, bool>)> detectors =
        [
            ("payment_card", PaymentCard, IsPaymentCard),
            ("iban", Iban, IsIban),
            ("national_id", Ssn, IsSsn),
            ("national_id", Nino, IsNino),
            ("email", Email, static _ => true),
            ("phone", Phone, IsPhone),
        ];
        foreach (var (name, pattern) in options?.CustomPatterns ?? new Dictionary<string, string>())
        {
            try
            {
                detectors.Add((name, new Regex(pattern, Linear), static _ => true));
            }
            catch (Exception ex) when (ex is ArgumentException or NotSupportedException)
            {
                throw new ArgumentException($"The custom personal-data pattern '{name}' cannot be used: {ex.Message}", nameof(options), ex);
            }
        }

        _detectors = [.. detectors];
    }

    /// <inheritdoc />
    public IReadOnlyList<PiiMatch> Detect(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        List<PiiMatch>? found = null;
        foreach (var (kind, pattern, isValid) in _detectors)
        {
            foreach (var match in pattern.EnumerateMatches(text))
            {
                var (index, length) = (match.Index, match.Length);
                if (!isValid(text.Substring(index, length)))
                {
                    continue;
                }

                // Earlier detectors take precedence: a span already claimed is not reported again.
                if (found is not null && found.Exists(m => index < m.Index + m.Length && m.Index < index + length))
                {
                    continue;
                }

                (found ??= []).Add(new PiiMatch(kind, index, length));
            }
        }

        if (found is null)
        {
            return [];
        }

        found.Sort(static (a, b) => a.Index.CompareTo(b.Index));
        return found;
    }

    /// <summary>13 to 19 digits that pass the Luhn check.</summary>
    internal static bool IsPaymentCard(string candidate)
    {
        var digits = Digits(candidate);
        if (digits.Length is < 13 or > 19)
        {
            return false;
        }

        var sum = 0;
        for (var i = 0; i < digits.Length; i++)
        {
            var digit = digits[digits.Length - 1 - i] - '0';
            if (i % 2 == 1)
            {
                digit *= 2;
                if (digit > 9)
                {
                    digit -= 9;
                }
            }

            sum += digit;
        }

        return sum % 10 == 0;
    }

    /// <summary>15 to 34 characters whose ISO 13616 check (the first four moved to the end, letters as 10-35) leaves 1 mod 97.</summary>
    internal static bool IsIban(string candidate)
    {
        var compact = candidate.Replace(" ", string.Empty, StringComparison.Ordinal);
        if (compact.Length is < 15 or > 34)
        {
            return false;
        }

        var remainder = 0;
        foreach (var c in compact[4..] + compact[..4])
        {
            var value = char.IsAsciiDigit(c) ? c - '0' : char.IsAsciiLetterUpper(c) ? c - 'A' + 10 : -1;
            if (value < 0)
            {
                return false;
            }

            remainder = value < 10 ? ((remainder * 10) + value) % 97 : ((remainder * 100) + value) % 97;
        }

        return remainder == 1;
    }

    /// <summary>A Social Security number the SSA could issue: no area 000, 666 or 900-999, no group 00, no serial 0000.</summary>
    internal static bool IsSsn(string candidate)
    {
        var area = int.Parse(candidate.AsSpan(0, 3), System.Globalization.CultureInfo.InvariantCulture);
        return area is not (0 or 666 or >= 900) && candidate.AsSpan(4, 2) is not "00" && candidate.AsSpan(7, 4) is not "0000";
    }

    /// <summary>A National Insurance number with a prefix HMRC allocates (not BG, GB, KN, NK, NT, TN, ZZ).</summary>
    internal static bool IsNino(string candidate) =>
        candidate[..2].ToUpperInvariant() is not ("BG" or "GB" or "KN" or "NK" or "NT" or "TN" or "ZZ");

    /// <summary>9 to 15 digits (E.164 allows 15), and not a date or a plain number run such as an order id.</summary>
    internal static bool IsPhone(string candidate)
    {
        var digits = Digits(candidate);
        var separated = candidate.Length > digits.Length || candidate.StartsWith('+');
        return digits.Length is >= 9 and <= 15 && separated;
    }

    private static string Digits(string text) => string.Concat(text.Where(char.IsAsciiDigit));
}
