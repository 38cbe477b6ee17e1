using HybridInference.Privacy;

namespace HybridInference.Tests.Privacy;

/// <summary>The walker over everything a request sends: scanning finds personal data in every place, and redaction removes it from a copy.</summary>
public sealed class SentTextTests
{
    private static readonly PiiDetector Detector = new();

    public static TheoryData<string> Places => SentRequests.Places();

    [Theory]
    [MemberData(nameof(Places))]
    public void Finder_PersonalDataInAnyPlaceTheRequestSends_IsFound(string place)
    {
        var (messages, options) = SentRequests.Build(place);
        var finder = new SentTextVisitor.Finder(Detector, stopAtPersonalData: true, topics: null, CancellationToken.None);

        SentText.Walk(options, finder);
        SentText.Walk(messages, finder);

        Assert.NotNull(finder.Kind);
    }

    [Theory]
    [MemberData(nameof(Places))]
    public void Redactor_PersonalDataInAnyPlace_IsGoneFromTheCopy_AndTheCallersObjectsAreUnchanged(string place)
    {
        var (messages, options) = SentRequests.Build(place);
        var before = SentRequests.Dump(messages, options);
        var redactor = new SentTextVisitor.Redactor(Detector, CancellationToken.None);

        var redactedOptions = SentText.Walk(options, redactor) ?? options;
        var redacted = SentText.Walk(messages, redactor) ?? messages;

        var sent = SentRequests.Dump(redacted, redactedOptions);
        Assert.DoesNotContain(SentRequests.Secrets[place], sent, StringComparison.Ordinal);
        Assert.Matches(@"\[(EMAIL|PAYMENT_CARD|IBAN|PHONE|NATIONAL_ID)\]", sent);
        Assert.Equal(before, SentRequests.Dump(messages, options));
        Assert.Contains(SentRequests.Secrets[place], before, StringComparison.Ordinal);
    }

    [Fact]
    public void Redactor_KeepsTheShapeOfToolTurns()
    {
        var (messages, options) = SentRequests.Build("tool-result-object");
        var redacted = SentText.Walk(messages, new SentTextVisitor.Redactor(Detector, CancellationToken.None))!;

        var result = Assert.IsType<FunctionResultContent>(Assert.Single(redacted[^1].Contents));
        Assert.Equal(("call-1", ChatRole.Tool), (result.CallId, redacted[^1].Role));
        Assert.Equal("""{"name":"Dave","email":"[EMAIL]"}""", ((System.Text.Json.JsonElement)result.Result!).GetRawText());
        Assert.Same(messages[0], redacted[0]);
    }

    [Fact]
    public void Redactor_ARewrittenMessage_HasNoRawRepresentationToSendInstead()
    {
        var message = new ChatMessage(ChatRole.User, "Mail ada@example.com.") { RawRepresentation = "the original", MessageId = "m1" };

        var redacted = Assert.Single(SentText.Walk([message], new SentTextVisitor.Redactor(Detector, CancellationToken.None))!);

        Assert.Equal(("Mail [EMAIL].", null, "m1"), (redacted.Text, redacted.RawRepresentation, redacted.MessageId));
    }

    [Fact]
    public void Redactor_PersonalDataInContentItCannotRebuild_Throws()
    {
        var message = new ChatMessage(ChatRole.Assistant, [new ErrorContent("Could not reach ada@example.com.")]);

        Assert.Throws<NotSupportedException>(() => SentText.Walk([message], new SentTextVisitor.Redactor(Detector, CancellationToken.None)));
    }

    [Fact]
    public void Finder_ACancelledRequest_StopsWithOperationCanceled()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() =>
            SentText.Walk(SentRequests.Build("instructions").Messages, new SentTextVisitor.Finder(Detector, stopAtPersonalData: true, topics: null, cancelled.Token)));
    }
}
