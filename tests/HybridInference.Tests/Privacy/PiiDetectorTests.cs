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
}
