using HybridInference.Telemetry;
using HybridInference.Tests.Chain;
using static HybridInference.Tests.Chain.Requests;

namespace HybridInference.Tests.Routing;

/// <summary>
/// "Fits a local window, reduced if need be": complex work too long for every local window (8,192 tokens) goes to the
/// cloud by its category; when the cloud fails it, its history is fitted to the local window (Local:History) and it is
/// answered locally, the outcome saying both. Only when it cannot be reduced to fit (the last turn alone is too long,
/// or history fitting is off) does it fail with CloudUnavailableException, whose message says which.
/// </summary>
public sealed class CloudDegradationHistoryTests
{
    private const string LastQuestion = "So, given all that, plan the migration.";

    private static HybridHost Host(string mode) =>
        HybridHost.Create(HybridHost.DefaultJsonWith("Local", $"\"History\": {{ \"Mode\": \"{mode}\" }}"));

    /// <summary>A conversation of twelve long turns (about 1,000 tokens each) and a short last question: about 12,000 tokens.</summary>
    private static List<ChatMessage> LongConversation()
    {
        var messages = new List<ChatMessage> { new(ChatRole.System, "You plan database migrations.") };
        for (var turn = 0; turn < 12; turn++)
        {
            messages.Add(new ChatMessage(ChatRole.User, $"Turn {turn}: " + LongText(450)));
            messages.Add(new ChatMessage(ChatRole.Assistant, $"Noted turn {turn}."));
        }

        messages.Add(new ChatMessage(ChatRole.User, LastQuestion));
        return messages;
    }

    private static Exception CloudDown() => new BackendException(BackendErrorKind.Unavailable, "The backend 'cloud' could not be reached.");

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task CloudFails_LongComplexConversation_IsTrimmedToTheLocalWindow_AndAnsweredLocally(bool streaming)
    {
        using var host = Host("Trim");
        host.Cloud!.Throw(CloudDown());
        host.Local.DefaultReply = _ => "local plan";
        var conversation = LongConversation();
        var options = new ChatOptions().WithTaskCategory(TaskCategory.Complex);

        RouteOutcome outcome;
        string text;
        if (streaming)
        {
            var updates = await ToListAsync(host.Chat.GetStreamingResponseAsync(conversation, options));
            (text, outcome) = (string.Concat(updates.Select(u => u.Text)), updates[^1].GetRouteOutcome()!);
        }
        else
        {
            var response = await host.Chat.GetResponseAsync(conversation, options);
            (text, outcome) = (response.Text, response.GetRouteOutcome()!);
        }

        Assert.Equal("local plan", text);
        Assert.Equal((BackendLane.Local, RouteTarget.Local, RouteReason.CloudUnavailable), (outcome.Target, outcome.Decision, outcome.DecisionReason));
        Assert.True(outcome.History is { Fitted: true, Mode: HistoryMode.Trim, TurnsRemoved: > 0 }, "the outcome does not say the history was fitted");
        Assert.True(outcome.History!.PromptTokensBefore > 8192 && outcome.History.PromptTokensAfter < 8192);
        Assert.Equal(outcome.History.PromptTokensAfter, outcome.EstimatedPromptTokens);

        // The cloud was sent the whole conversation; the local model the reduced one, its system message and last question kept.
        Assert.Equal(conversation.Count, host.Cloud.Requests.Single().Messages.Count);
        var sent = host.Local.Requests.Single().Messages;
        Assert.True(sent.Count < conversation.Count, $"the local model was sent {sent.Count} of {conversation.Count} messages");
        Assert.Equal(ChatRole.System, sent[0].Role);
        Assert.Equal(LastQuestion, sent[^1].Text);
        Assert.Equal(1, host.Metrics.Sum(HybridInferenceTelemetry.Degradations, ("category", "complex")));
        Assert.Equal(1, host.Metrics.Sum(HybridInferenceTelemetry.HistoryReductions, ("mode", "trim"), ("result", "fitted")));
    }

    [Fact]
    public async Task CloudHealthy_LongComplexConversation_GoesToTheCloudWhole_NothingIsFitted()
    {
        using var host = Host("Trim");
        host.Cloud!.Reply("cloud plan");

        var response = await host.Chat.GetResponseAsync(LongConversation(), new ChatOptions().WithTaskCategory(TaskCategory.Complex));

        Assert.Equal("cloud plan", response.Text);
        Assert.Null(response.GetRouteOutcome()!.History);
        Assert.Empty(host.Local.Requests);
        Assert.Equal(0, host.Metrics.Sum(HybridInferenceTelemetry.HistoryReductions));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task CloudFails_LastTurnAloneTooLong_FailsWithCloudUnavailableException_SayingEvenReducedItDoesNotFit(bool streaming)
    {
        using var host = Host("Trim");
        host.Cloud!.Throw(CloudDown());
        List<ChatMessage> conversation = [new(ChatRole.User, "Hello."), new(ChatRole.Assistant, "Hi."), new(ChatRole.User, LongText(4000))];
        var options = new ChatOptions().WithTaskCategory(TaskCategory.Complex);

        var error = await Assert.ThrowsAsync<CloudUnavailableException>(() => streaming
            ? ToListAsync(host.Chat.GetStreamingResponseAsync(conversation, options))
            : host.Chat.GetResponseAsync(conversation, options));

        Assert.Matches(
            "it needs [0-9]+ tokens \\(prompt and output budget\\), more than the largest local context window \\(8192\\), even with its history reduced: its last turn \\(the last user message and what follows it\\) alone does not fit",
            error.Message);
        Assert.Empty(host.Local.Requests);
        Assert.Equal(1, host.Metrics.Sum(HybridInferenceTelemetry.HistoryReductions, ("result", "not_fitted")));
    }

    [Fact]
    public async Task CloudFails_HistoryFittingOff_LongConversation_FailsWithCloudUnavailableException_SayingItWasNotReduced()
    {
        using var host = HybridHost.Create();
        host.Cloud!.Throw(CloudDown());

        var error = await Assert.ThrowsAsync<CloudUnavailableException>(() => host.Chat.GetResponseAsync(LongConversation(), new ChatOptions().WithTaskCategory(TaskCategory.Complex)));

        Assert.Contains("more than the largest local context window (8192), and its history was not reduced (HybridInference:Local:History:Mode is Off)", error.Message, StringComparison.Ordinal);
        Assert.Empty(host.Local.Requests);
    }

    [Fact]
    public async Task CloudBreakerOpen_LongComplexConversation_IsNotSentLocallyWhole_ItIsFittedThenAnsweredLocally()
    {
        using var host = HybridHost.Create(HybridHost.DefaultJsonWith("Local", "\"History\": { \"Mode\": \"Trim\" }")
            .Replace("\"MinimumThroughput\": 20", "\"MinimumThroughput\": 2", StringComparison.Ordinal));
        host.Cloud!.DefaultReply = _ => throw CloudDown();
        host.Local.DefaultReply = _ => "local";
        var options = new ChatOptions().WithTaskCategory(TaskCategory.Complex);
        for (var i = 0; i < 5; i++)
        {
            await host.Chat.GetResponseAsync(User("Plan step " + i), options);
        }

        var cloudCalls = host.Cloud.RequestCount;
        var response = await host.Chat.GetResponseAsync(LongConversation(), options);

        Assert.True(cloudCalls < 5, "the cloud breaker never opened");
        Assert.Equal(cloudCalls, host.Cloud.RequestCount); // the open breaker refused it; nothing was sent
        var outcome = response.GetRouteOutcome()!;
        Assert.Equal(RouteReason.CloudUnavailable, outcome.DecisionReason);
        Assert.True(outcome.History is { Fitted: true });
        Assert.True(host.Local.Requests[^1].Messages.Count < LongConversation().Count);
    }
}
