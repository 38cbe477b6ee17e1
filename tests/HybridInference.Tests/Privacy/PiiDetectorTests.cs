namespace HybridInference.Tests.Privacy;

/// <summary>The built-in detector: each kind found where it is, checksums respected, look-alikes left alone.</summary>
public sealed class PiiDetectorTests
{
    private static readonly PiiDetector Detector = new();

    private static (string Kind, string Text)[] Find(string text) =>
        [.. Detector.Detect(text).Select(m => (m.Kind, text.Substring(m.Index, m.Length)))];

    [Theory]
    [InlineData("Write to ada.lovelace+work@example.co.uk today.", "email", "ada.lovelace+work@example.co.uk")]
    [InlineData("Call +44 20 7946 0958 after six.", "phone", "+44 20 7946 0958")]
    [InlineData("Call (555) 123-4567.", "phone", "(555) 123-4567")]
    [InlineData("Card 4111 1111 1111 1111 expires soon.", "payment_card", "4111 1111 1111 1111")]
    [InlineData("Card 5500-0000-0000-0004.", "payment_card", "5500-0000-0000-0004")]
    [InlineData("SSN 123-45-6789 on file.", "national_id", "123-45-6789")]
    [InlineData("NINO AB 12 34 56 C.", "national_id", "AB 12 34 56 C")]
    [InlineData("Pay to DE89 3704 0044 0532 0130 00 please.", "iban", "DE89 3704 0044 0532 0130 00")]
    [InlineData("IBAN GB82WEST12345698765432.", "iban", "GB82WEST12345698765432")]
    public void FindsEachKind(string text, string kind, string found) =>
        Assert.Equal([(kind, found)], Find(text));

    [Theory]
    [InlineData("Card 4111 1111 1111 1112 is not a card: the Luhn check fails.", "payment_card")]
    [InlineData("DE89 3704 0044 0532 0130 01 fails mod 97.", "iban")]
    [InlineData("SSN 000-12-3456 and 666-12-3456 and 923-12-3456 are never issued.", "national_id")]
    [InlineData("GB 12 34 56 A is not an allocated prefix.", "national_id")]
    [InlineData("QQ 12 34 56 C is the documentation example, never allocated.", "national_id")]
    public void LeavesLookAlikesOfAKindAlone(string text, string kind) => Assert.DoesNotContain(Find(text), f => f.Kind == kind);

    [Theory]
    [InlineData("Order 20261122 shipped on 2026-11-22, total 1249.50 EUR, version 10.0.14.")]
    [InlineData("No personal data here at all.")]
    public void LeavesOrdinaryTextAlone(string text) => Assert.Empty(Find(text));

    [Fact]
    public void SeveralKinds_InOrder_WithoutOverlaps()
    {
        var found = Find("Mail bob@example.org, card 4111111111111111, phone +1 415 555 0100.");

        Assert.Equal([("email", "bob@example.org"), ("payment_card", "4111111111111111"), ("phone", "+1 415 555 0100")], found);
    }

    [Fact]
    public void CustomPatterns_AddKinds()
    {
        var detector = new PiiDetector(new PrivacyOptions { CustomPatterns = { ["employee_id"] = "EMP-[0-9]{6}" } });

        var match = Assert.Single(detector.Detect("Badge EMP-123456 lost."));
        Assert.Equal(("employee_id", 6, 10), (match.Kind, match.Index, match.Length));
    }

    [Fact]
    public void ACustomPatternLinearMatchingCannotRun_IsRefusedByName()
    {
        var error = Assert.Throws<ArgumentException>(() => new PiiDetector(new PrivacyOptions { CustomPatterns = { ["twice"] = @"(a)\1" } }));
        Assert.Contains("'twice'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AHostileInput_IsScannedInLinearTime()
    {
        // A pattern that backtracks would take far longer than a linear scan over this.
        var hostile = string.Concat(Enumerable.Repeat("1 2-", 50_000)) + "x@";

        Assert.DoesNotContain(Detector.Detect(hostile), m => m.Kind == "email");
    }

    [Theory]
    [InlineData("Mail ada\uFF20example.com now.", "email", "ada\uFF20example.com")]                             // full-width @
    [InlineData("Mail ada\uFE6Bexample.com now.", "email", "ada\uFE6Bexample.com")]                             // small commercial at
    [InlineData("Mail \uFF41\uFF44\uFF41@example.com now.", "email", "\uFF41\uFF44\uFF41@example.com")]         // full-width letters
    [InlineData("Mail ada\u200B@example.com now.", "email", "ada\u200B@example.com")]                          // zero-width space
    [InlineData("Mail ada@exam\u00ADple.com now.", "email", "ada@exam\u00ADple.com")]                         // soft hyphen
    [InlineData("Mail ada@ex\u2060ample\uFEFF.com now.", "email", "ada@ex\u2060ample\uFEFF.com")]              // word joiner, BOM
    [InlineData("Mail ada@\u202Eexample.com now.", "email", "ada@\u202Eexample.com")]                          // bidi override
    [InlineData("Mail ada@example\u3002com now.", "email", "ada@example\u3002com")]                            // ideographic full stop
    [InlineData("Mail jos\u00E9@b\u00FCcher.de now.", "email", "jos\u00E9@b\u00FCcher.de")]                     // internationalised domain
    [InlineData("Mail \u7528\u6237@\u4F8B\u5B50.\u5E7F\u544A now.", "email", "\u7528\u6237@\u4F8B\u5B50.\u5E7F\u544A")] // all-Unicode address
    [InlineData("Mail ada@xn--bcher-kva.xn--p1ai now.", "email", "ada@xn--bcher-kva.xn--p1ai")]               // punycode labels
    [InlineData("Card \uFF14\uFF11\uFF11\uFF11 \uFF11\uFF11\uFF11\uFF11 \uFF11\uFF11\uFF11\uFF11 \uFF11\uFF11\uFF11\uFF11 ok.", "payment_card",
        "\uFF14\uFF11\uFF11\uFF11 \uFF11\uFF11\uFF11\uFF11 \uFF11\uFF11\uFF11\uFF11 \uFF11\uFF11\uFF11\uFF11")]  // full-width digits
    [InlineData("Card \u0664\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661 ok.", "payment_card",
        "\u0664\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661")]      // Arabic-Indic digits
    [InlineData("Card \U0001D7DC\U0001D7D9\U0001D7D9\U0001D7D9111111111111 ok.", "payment_card", "\U0001D7DC\U0001D7D9\U0001D7D9\U0001D7D9111111111111")] // mathematical digits
    [InlineData("Card 4111\u200B1111\u200C1111\u200D1111 ok.", "payment_card", "4111\u200B1111\u200C1111\u200D1111")] // zero-width separators
    [InlineData("Card 4111.1111.1111.1111 ok.", "payment_card", "4111.1111.1111.1111")]
    [InlineData("Card 4111/1111/1111/1111 ok.", "payment_card", "4111/1111/1111/1111")]
    [InlineData("Card 4111 - 1111 - 1111 - 1111 ok.", "payment_card", "4111 - 1111 - 1111 - 1111")]
    [InlineData("Card 4111\u20131111\u20141111\u22121111 ok.", "payment_card", "4111\u20131111\u20141111\u22121111")] // en dash, em dash, minus
    [InlineData("Card 4111\u00A01111\u20091111\u30001111 ok.", "payment_card", "4111\u00A01111\u20091111\u30001111")] // odd spaces
    [InlineData("Card 4111\t1111\t1111\t1111 ok.", "payment_card", "4111\t1111\t1111\t1111")]
    [InlineData("Call +44\u00A020\u00A07946\u00A00958 now.", "phone", "+44\u00A020\u00A07946\u00A00958")]
    [InlineData("SSN 123\u201145\u20116789 ok.", "national_id", "123\u201145\u20116789")]                       // non-breaking hyphens
    [InlineData("IBAN gb82 west 1234 5698 7654 32 please.", "iban", "gb82 west 1234 5698 7654 32")]              // lower case
    [InlineData("IBAN DE89 3704 0044 0532 0130 00 PLEASE.", "iban", "DE89 3704 0044 0532 0130 00")]              // followed by a word
    [InlineData("IBAN \uFF24\uFF25\uFF18\uFF19370400440532013000.", "iban", "\uFF24\uFF25\uFF18\uFF19370400440532013000")]
    public void TrivialDisguises_AreSeenThrough_AndTheOriginalCharactersReported(string text, string kind, string found) =>
        Assert.Equal([(kind, found)], Find(text));

    [Fact]
    public void ManyMatches_AreEveryOneFound_InOrder()
    {
        // 300,000 addresses in about 7 MB. How long it takes is measured by PiiDetectionBenchmarks (0, 100 and 100,000
        // matches in 1 MB), not here; the old quadratic overlap check made this one test run for minutes.
        var text = string.Concat(Enumerable.Range(0, 300_000).Select(i => $"user{i}@example.com "));

        var found = Detector.Detect(text);

        Assert.Equal(300_000, found.Count);
        for (var i = 1; i < found.Count; i++)
        {
            Assert.True(found[i].Index > found[i - 1].Index + found[i - 1].Length - 1, $"match {i} overlaps or precedes match {i - 1}");
        }

        Assert.Equal("user299999@example.com", text.Substring(found[^1].Index, found[^1].Length));
    }

    [Theory]
    [InlineData("\n")]
    [InlineData(", ")]
    [InlineData(" ")]
    [InlineData("\u200B ")]
    public void ALongText_ScannedInPieces_FindsEveryMatch_EvenAcrossPieceEnds(string separator)
    {
        string[] samples = ["ada@example.com", "4111 1111 1111 1111", "DE89 3704 0044 0532 0130 00", "+44 20 7946 0958", "123-45-6789", "AB 12 34 56 C"];
        var text = new System.Text.StringBuilder();
        var expected = new List<string>();
        for (var i = 0; text.Length < 200_000; i++)
        {
            text.Append("word").Append(separator).Append(samples[i % samples.Length]).Append(separator).Append(new string('x', i % 97)).Append(separator);
            expected.Add(samples[i % samples.Length]);
        }

        var found = Find(text.ToString());

        Assert.Equal(expected, found.Select(f => f.Text));
    }

    [Fact]
    public void ACancelledToken_StopsDetection()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() => Detector.Detect(new string('a', 100_000), cancelled.Token));
        Assert.ThrowsAny<OperationCanceledException>(() => ((IPiiDetector)new OnlyText()).Detect("x", cancelled.Token));
    }

    private sealed class OnlyText : IPiiDetector
    {
        public IReadOnlyList<PiiMatch> Detect(string text) => [];
    }
}
