using System.Buffers;
using System.Text.RegularExpressions;
using HybridInference.Privacy;

namespace HybridInference;

/// <summary>
/// The built-in personal-data detector: email addresses (internationalised ones too), phone numbers, payment card
/// numbers (Luhn-checked), national ID numbers (US Social Security numbers, UK National Insurance numbers) and IBANs
/// (ISO 13616 mod-97 checked), plus any custom patterns.
/// </summary>
/// <remarks>
/// <para>
/// Before matching, the text is folded so that trivial disguises do not hide anything: Unicode compatibility forms
/// (full-width digits and <c>＠</c>), digits of other scripts, zero-width and other invisible characters, odd spaces
/// and dashes, ideographic full stops in domain names; card numbers may be grouped by spaces, dashes, dots or
/// slashes. Matches are reported at the original characters, so redaction replaces exactly those.
/// </para>
/// <para>
/// Detection is linear in the length of the text for any number of matches: every pattern runs in linear time
/// (<see cref="RegexOptions.NonBacktracking"/>), and overlaps between kinds are resolved in one merge per kind (a card
/// number is not also reported as a phone number; earlier kinds win). The built-in kinds run over the text in pieces
/// of about 16,000 characters, split where no match can cross, and the cancellation token is checked between pieces.
/// </para>
/// <para>
/// It does not find names, postal addresses, dates of birth, free-text descriptions of people or health data, nor
/// anything spelled out in words (<c>ada at example dot com</c>); add custom patterns, keep such requests
/// <see cref="DataPolicy.LocalOnly"/>, or register a detector of your own. Thread-safe.
/// </para>
/// </remarks>
public sealed class PiiDetector : IPiiDetector
{
    private const RegexOptions Linear = RegexOptions.NonBacktracking | RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture;

    /// <summary>About how many characters the built-in kinds scan between cancellation checks.</summary>
    private const int PieceLength = 16 * 1024;

    /// <summary>How far after a digit a built-in match can reach (an IBAN with a space between every character).</summary>
    private const int DigitReach = 70;

    private static readonly Regex PaymentCard = new(@"\b[0-9](?:[ \t./-]{0,3}[0-9]){12,18}\b", Linear);
    private static readonly Regex Iban = new(@"\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}\b", Linear | RegexOptions.IgnoreCase);
    private static readonly Regex Ssn = new(@"\b[0-9]{3}-[0-9]{2}-[0-9]{4}\b", Linear);
    private static readonly Regex Nino = new(@"\b[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-D]\b", Linear | RegexOptions.IgnoreCase);
    private static readonly Regex Email = new(
        @"[\p{L}\p{M}\p{N}._%+-]+@[\p{L}\p{M}\p{N}-]+(?:\.[\p{L}\p{M}\p{N}-]+)*\.(?:xn--[A-Za-z0-9-]+|[\p{L}\p{M}]{2,})", Linear);
    private static readonly Regex Phone = new(@"(?:\+[0-9]{1,3}[ .-]?)?(?:\([0-9]{1,4}\)[ .-]?)?[0-9]{2,4}(?:[ .-]?[0-9]{2,4}){2,4}", Linear);

    /// <summary>
    /// The ASCII characters no built-in match contains (everything but letters, digits and <c> .-/_%+@()</c> and tab):
    /// a piece may end before one of them.
    /// </summary>
    private static readonly SearchValues<char> PieceEnds = SearchValues.Create(
        "\n\r!\"#$&'*,:;<=>?[\\]^`{|}~");

    /// <summary>IBAN lengths by country (SWIFT IBAN registry): country code, then two digits, four characters each.</summary>
    private const string IbanLengths =
        "AD24AE23AL28AT20AZ28BA20BE16BG22BH22BI27BR29BY28CH21CR22CY28CZ24DE22DJ27DK18DO28EE20EG29ES24FI18FK18FO18FR27" +
        "GB22GE22GI23GL18GR27GT28HN28HR21HU28IE22IL23IQ23IS26IT27JO30KW30KZ20LB28LC32LI21LT20LU20LV21LY25MC27MD24ME22" +
        "MK19MN20MR27MT31MU30NI28NL18NO15OM23PK24PL28PS29PT25QA29RO24RS22RU33SA24SC31SD18SE24SI19SK24SM27SO23ST25SV28" +
        "TL23TN24TR26UA29VA22VG24XK20YE30";

    private static readonly Detector[] BuiltIn =
    [
        new("payment_card", PaymentCard, static c => IsPaymentCard(c) ? c.Length : 0),
        new("iban", Iban, IbanLength),
        new("national_id", Ssn, static c => IsSsn(c) ? c.Length : 0),
        new("national_id", Nino, static c => IsNino(c) ? c.Length : 0),
        new("email", Email, static c => c.Length),
        new("phone", Phone, static c => IsPhone(c) ? c.Length : 0),
    ];

    private readonly Detector[] _custom;

    /// <summary>Initializes a new instance of the <see cref="PiiDetector"/> class with the built-in kinds and the options' custom patterns.</summary>
    /// <param name="options">The custom patterns; none when <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">A custom pattern is not a valid linear-time regular expression.</exception>
    public PiiDetector(PrivacyOptions? options = null)
    {
        List<Detector> custom = [];
        foreach (var (name, pattern) in options?.CustomPatterns ?? new Dictionary<string, string>())
        {
            try
            {
                custom.Add(new Detector(name, new Regex(pattern, Linear), static c => c.Length));
            }
            catch (Exception ex) when (ex is ArgumentException or NotSupportedException)
            {
                throw new ArgumentException($"The custom personal-data pattern '{name}' cannot be used: {ex.Message}", nameof(options), ex);
            }
        }

        _custom = [.. custom];
    }

    /// <summary>How much of a candidate is the kind it looks like: its length, a shorter prefix of it, or 0 for none.</summary>
    private delegate int Validator(ReadOnlySpan<char> candidate);

    /// <inheritdoc />
    public IReadOnlyList<PiiMatch> Detect(string text) => Detect(text, CancellationToken.None);

    /// <inheritdoc />
    /// <remarks>Custom patterns run over the whole text at once, after the built-in kinds; the token is checked before each.</remarks>
    public IReadOnlyList<PiiMatch> Detect(string text, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(text);
        cancellationToken.ThrowIfCancellationRequested();
        using var normalized = NormalizedText.Create(text);
        var folded = normalized.Text;
        List<PiiMatch>? found = null;
        List<PiiMatch>? scratch = null;
        for (var start = 0; start < folded.Length;)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var end = PieceEnd(folded, start);
            var piece = folded[..end];
            var from = found?.Count ?? 0;
            foreach (var detector in BuiltIn)
            {
                Add(detector, piece, start, ref found, from, ref scratch);
            }

            start = end;
        }

        foreach (var detector in _custom)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Add(detector, folded, 0, ref found, 0, ref scratch);
        }

        if (found is null)
        {
            return [];
        }

        for (var i = 0; i < found.Count; i++)
        {
            var (index, length) = normalized.ToOriginal(found[i].Index, found[i].Length);
            found[i] = found[i] with { Index = index, Length = length };
        }

        return found;
    }

    /// <summary>13 to 19 digits that pass the Luhn check.</summary>
    internal static bool IsPaymentCard(ReadOnlySpan<char> candidate)
    {
        var count = CountDigits(candidate);
        if (count is < 13 or > 19)
        {
            return false;
        }

        var sum = 0;
        var position = 0;
        for (var i = candidate.Length - 1; i >= 0; i--)
        {
            if (!char.IsAsciiDigit(candidate[i]))
            {
                continue;
            }

            var digit = candidate[i] - '0';
            if (position++ % 2 == 1)
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
    internal static bool IsIban(ReadOnlySpan<char> candidate)
    {
        Span<char> compact = stackalloc char[34];
        var length = 0;
        foreach (var c in candidate)
        {
            if (c == ' ')
            {
                continue;
            }

            if (length == compact.Length)
            {
                return false;
            }

            compact[length++] = char.ToUpperInvariant(c);
        }

        if (length < 15)
        {
            return false;
        }

        var remainder = 0;
        for (var i = 0; i < length; i++)
        {
            var c = compact[(i + 4) % length];
            var value = char.IsAsciiDigit(c) ? c - '0' : char.IsAsciiLetterUpper(c) ? c - 'A' + 10 : -1;
            if (value < 0)
            {
                return false;
            }

            remainder = value < 10 ? ((remainder * 10) + value) % 97 : ((remainder * 100) + value) % 97;
        }

        return remainder == 1;
    }

    /// <summary>
    /// How much of the candidate is an IBAN, or 0. Matched without regard to case, a candidate can run on into the
    /// words after it (<c>DE89 3704 0044 0532 0130 00 please</c>): for a country in the registry it is cut to that
    /// country's IBAN length, otherwise to the longest prefix that passes the check (at most 64 characters, so
    /// constant time per candidate).
    /// </summary>
    internal static int IbanLength(ReadOnlySpan<char> candidate)
    {
        Span<char> country = [char.ToUpperInvariant(candidate[0]), char.ToUpperInvariant(candidate[1])];
        var expected = IbanLengths.IndexOf(country) is var at && at >= 0 && at % 4 == 0
            ? ((IbanLengths[at + 2] - '0') * 10) + (IbanLengths[at + 3] - '0')
            : 0;
        var alphanumerics = 0;
        for (var end = 1; end <= candidate.Length; end++)
        {
            if (candidate[end - 1] == ' ')
            {
                continue;
            }

            alphanumerics++;
            if (expected > 0 && alphanumerics == expected)
            {
                return IsIban(candidate[..end]) ? end : 0;
            }
        }

        if (expected > 0)
        {
            return 0;
        }

        for (var end = candidate.Length; end >= 15; end--)
        {
            if (candidate[end - 1] != ' ' && IsIban(candidate[..end]))
            {
                return end;
            }
        }

        return 0;
    }

    /// <summary>A Social Security number the SSA could issue: no area 000, 666 or 900-999, no group 00, no serial 0000.</summary>
    internal static bool IsSsn(ReadOnlySpan<char> candidate)
    {
        var area = int.Parse(candidate[..3], System.Globalization.CultureInfo.InvariantCulture);
        return area is not (0 or 666 or >= 900) && candidate.Slice(4, 2) is not "00" && candidate.Slice(7, 4) is not "0000";
    }

    /// <summary>A National Insurance number with a prefix HMRC allocates (not BG, GB, KN, NK, NT, TN, ZZ).</summary>
    internal static bool IsNino(ReadOnlySpan<char> candidate)
    {
        Span<char> prefix = [char.ToUpperInvariant(candidate[0]), char.ToUpperInvariant(candidate[1])];
        return prefix is not ("BG" or "GB" or "KN" or "NK" or "NT" or "TN" or "ZZ");
    }

    /// <summary>9 to 15 digits (E.164 allows 15), and not a date or a plain number run such as an order id.</summary>
    internal static bool IsPhone(ReadOnlySpan<char> candidate)
    {
        var digits = CountDigits(candidate);
        var separated = candidate.Length > digits || candidate.StartsWith('+');
        return digits is >= 9 and <= 15 && separated;
    }

    private static int CountDigits(ReadOnlySpan<char> text)
    {
        var count = 0;
        foreach (var c in text)
        {
            if (char.IsAsciiDigit(c))
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>
    /// Where the piece that starts at <paramref name="start"/> ends: the text's end, or, about
    /// <see cref="PieceLength"/> on, a character no built-in match contains, or a space no digit is near (spaces
    /// inside cards, phone, national insurance numbers are next to digits, and every character of an IBAN is within
    /// <see cref="DigitReach"/> of its check digits).
    /// </summary>
    private static int PieceEnd(ReadOnlySpan<char> text, int start)
    {
        if (text.Length - start <= PieceLength)
        {
            return text.Length;
        }

        var from = start + PieceLength;
        var lastDigit = text[..from].LastIndexOfAnyInRange('0', '9');
        for (var k = from; k < text.Length; k++)
        {
            var c = text[k];
            if (char.IsAsciiDigit(c))
            {
                lastDigit = k;
            }
            else if (PieceEnds.Contains(c))
            {
                return k;
            }
            else if (c == ' ' && k - lastDigit > DigitReach && text.Slice(k, Math.Min(5, text.Length - k)).IndexOfAnyInRange('0', '9') < 0)
            {
                return k;
            }
        }

        return text.Length;
    }

    /// <summary>
    /// Adds <paramref name="detector"/>'s valid matches in <paramref name="text"/> from <paramref name="startAt"/> to
    /// <paramref name="found"/>, leaving out those that overlap a match already there at <paramref name="from"/> or
    /// later; one merge of two ordered lists, so linear in their lengths.
    /// </summary>
    private static void Add(Detector detector, ReadOnlySpan<char> text, int startAt, ref List<PiiMatch>? found, int from, ref List<PiiMatch>? scratch)
    {
        var i = from;
        var merging = false;
        foreach (var match in detector.Pattern.EnumerateMatches(text, startAt))
        {
            var length = match.Length == 0 ? 0 : detector.ValidLength(text.Slice(match.Index, match.Length));
            if (length <= 0)
            {
                continue;
            }

            found ??= [];
            if (!merging)
            {
                (scratch ??= []).Clear();
                merging = true;
            }

            while (i < found.Count && found[i].Index + found[i].Length <= match.Index)
            {
                scratch!.Add(found[i++]);
            }

            if (i < found.Count && found[i].Index < match.Index + length)
            {
                continue; // A kind of higher precedence holds these characters.
            }

            scratch!.Add(new PiiMatch(detector.Kind, match.Index, length));
        }

        if (!merging)
        {
            return;
        }

        while (i < found!.Count)
        {
            scratch!.Add(found[i++]);
        }

        found.RemoveRange(from, found.Count - from);
        found.AddRange(scratch!);
    }

    private sealed record Detector(string Kind, Regex Pattern, Validator ValidLength);
}
