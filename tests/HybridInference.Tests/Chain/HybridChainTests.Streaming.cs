using static HybridInference.Tests.Chain.Requests;

namespace HybridInference.Tests.Chain;

public sealed partial class HybridChainTests
{
    [Fact]
    public async Task Streaming_Routine_StreamsLocalChunksAndEndsWithTheOutcome()
    {
        using var host = HybridHost.Create();
        host.Local.ReplyInChunks("Hel", "lo", "!");

        var updates = await ToListAsync(host.Chat.GetStreamingResponseAsync(User("Say hello")));

        Assert.Equal("Hello!", string.Concat(updates.Select(u => u.Text)));
        var outcome = updates[^1].GetRouteOutcome()!;
        Assert.Equal(BackendLane.Local, outcome.Target);
        Assert.All(updates.SkipLast(1), u => Assert.Null(u.GetRouteOutcome()));
        Assert.NotNull(updates.ToChatResponse().GetRouteOutcome());
    }

    [Fact]
    public async Task Streaming_LocalFailsBeforeFirstChunk_EscalatesToCloudStream()
    {
        using var host = HybridHost.Create();
        host.Local.Throw(new HttpRequestException("refused"));
        host.Cloud!.ReplyInChunks("from ", "cloud");

        var updates = await ToListAsync(host.Chat.GetStreamingResponseAsync(User("Say hello")));

        Assert.Equal("from cloud", string.Concat(updates.Select(u => u.Text)));
        Assert.Equal(EscalationReason.LocalError, updates[^1].GetRouteOutcome()!.EscalationReason);
    }

    [Fact]
    public async Task Streaming_LocalFailsAfterFirstChunk_CallerGetsTheErrorAndNoCloudCall()
    {
        using var host = HybridHost.Create();
        host.Local.ThrowMidStream(new IOException("connection reset"), "Hel");

        var received = new List<string>();
        var error = await Assert.ThrowsAsync<StreamInterruptedException>(async () =>
        {
            await foreach (var update in host.Chat.GetStreamingResponseAsync(User("Say hello")))
            {
                received.Add(update.Text);
            }
        });

        Assert.Equal(["Hel"], received);
        Assert.Empty(host.Cloud!.Requests);
        Assert.IsType<IOException>(error.InnerException);
        Assert.Contains("'local'", error.Message, StringComparison.Ordinal);
        var outcome = error.GetRouteOutcome()!;
        Assert.Equal((true, true, BackendLane.Local, EscalationReason.None), (outcome.Failed, outcome.OutputCommitted, outcome.Target, outcome.EscalationReason));
    }

    [Fact]
    public async Task JsonEscalatedAfterALocalError_TheCloudAnswerIsCheckedToo()
    {
        using var host = HybridHost.Create();
        host.Local.Throw(new BackendException(BackendErrorKind.ServerError, "The backend 'local' answered 500.", 500));
        host.Cloud!.Reply("""{"name":"Ada"}""");

        var error = await Assert.ThrowsAsync<OutputValidationException>(() => host.Chat.GetResponseAsync(User("Extract."), Json()));

        Assert.Equal(EscalationReason.LocalError, error.GetRouteOutcome()!.EscalationReason);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task JsonRoutedStraightToTheCloud_IsCheckedAgainstTheSchemaToo(bool streaming)
    {
        using var host = HybridHost.Create();
        host.Cloud!.Reply("""{"name":"Ada"}""").Reply("Here it is:\n```json\n" + ValidPerson + "\n```");
        var longJson = Json();

        // Too long for the local limit: the router sends it to the cloud directly, not through a local attempt.
        async Task<string> AskAsync()
        {
            if (!streaming)
            {
                return (await host.Chat.GetResponseAsync(User(LongText(5000)), longJson)).Text;
            }

            var text = new System.Text.StringBuilder();
            await foreach (var update in host.Chat.GetStreamingResponseAsync(User(LongText(5000)), longJson))
            {
                text.Append(update.Text);
            }

            return text.ToString();
        }

        var error = await Assert.ThrowsAsync<OutputValidationException>(AskAsync);
        Assert.Equal(ValidationFailureReason.SchemaMismatch, error.Reason);
        Assert.Equal(ValidPerson, await AskAsync());
        Assert.Empty(host.Local.Requests);
    }

    [Fact]
    public async Task Streaming_FailsBeforeAnyOutput_TheErrorIsPassedOnAndItsOutcomeSaysNothingWasCommitted()
    {
        using var host = HybridHost.Create();
        host.Local.Throw(new BackendException(BackendErrorKind.ServerError, "The backend 'local' answered 500.", 500));

        var error = await Assert.ThrowsAsync<LocalBackendUnavailableException>(async () =>
        {
            await foreach (var update in host.Chat.GetStreamingResponseAsync(User("Summarize: the patient record."), new ChatOptions().WithDataPolicy(DataPolicy.LocalOnly)))
            {
                Assert.Fail("Nothing should have been streamed.");
            }
        });

        var outcome = error.GetRouteOutcome()!;
        Assert.Equal((true, false, 1), (outcome.Failed, outcome.OutputCommitted, outcome.Attempts));
        Assert.Empty(host.Cloud!.Requests);
    }

    [Fact]
    public async Task Failure_TheExceptionCarriesTheOutcome()
    {
        using var host = HybridHost.Create();
        host.Local.Throw(new BackendException(BackendErrorKind.ServerError, "The backend 'local' answered 500.", 500));
        host.Cloud!.Throw(new BackendException(BackendErrorKind.Unavailable, "The backend 'cloud' is unavailable."));

        var error = await Assert.ThrowsAsync<BackendException>(() => host.Chat.GetResponseAsync(User("Say hello")));

        var outcome = error.GetRouteOutcome()!;
        Assert.Equal((true, false, 2, EscalationReason.LocalError), (outcome.Failed, outcome.OutputCommitted, outcome.Attempts, outcome.EscalationReason));
    }

    [Fact]
    public async Task Streaming_Json_IsValidatedBeforeAnythingIsYielded()
    {
        using var host = HybridHost.Create();
        host.Local.Reply("""{"name":"Ada"}""").Reply(ValidPerson);

        var updates = await ToListAsync(host.Chat.GetStreamingResponseAsync(User("Extract."), Json()));

        Assert.Equal(ValidPerson, string.Concat(updates.Select(u => u.Text)));
        Assert.Equal(1, updates[^1].GetRouteOutcome()!.ValidationFailures);
    }

    [Fact]
    public async Task CallerOptions_AreNotChanged()
    {
        using var host = HybridHost.Create();
        host.Local.Reply("ok");
        var options = new ChatOptions { Temperature = 0.2f };

        await host.Chat.GetResponseAsync(User("Summarize."), options);

        Assert.Null(options.AdditionalProperties);
    }

    [Fact]
    public async Task EmptyMessageList_TypedArgumentError()
    {
        using var host = HybridHost.Create();

        var error = await Assert.ThrowsAsync<ArgumentException>(() => host.Chat.GetResponseAsync([]));

        Assert.Contains("no messages", error.Message);
        Assert.Empty(host.Local.Requests);
    }
}
