using HybridInference.Telemetry;
using HybridInference.Tests.Chain;
using Microsoft.Extensions.Options;
using static HybridInference.Tests.Chain.Requests;

namespace HybridInference.Tests.Privacy;

/// <summary>
/// Privacy:Topics through the whole chain: the decision matrix's healthcare row (a prompt about a patient's medication
/// and dosage) stays local with the health topic on and goes to the cloud as today with it off; a request on a topic
/// follows every LocalOnly guarantee, wherever in the request the topic is.
/// </summary>
public sealed class SensitiveTopicChainTests
{
    /// <summary>The decision matrix's "Enterprise data processing (PII/Healthcare)" example: safety-critical by the built-in rules.</summary>
    private const string Healthcare = "Summarize the patient's medication and dosage changes since the last visit.";

    private static HybridHost Host(string privacy) =>
        HybridHost.Create(HybridHost.DefaultJson.Replace("\"Routing\": {", $"\"Privacy\": {{ {privacy} }}, \"Routing\": {{", StringComparison.Ordinal));

    private static HybridHost HealthOn() => Host("\"Topics\": { \"BuiltIn\": [ \"health\" ] }");

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task HealthcareExample_WithTheHealthTopicOn_StaysLocal_AndTheOutcomeNamesTheTopic(bool streaming)
    {
        using var host = HealthOn();
        host.Local.DefaultReply = _ => "local summary";
        host.Cloud!.DefaultReply = _ => "cloud summary";
        var messages = new List<ChatMessage> { new(ChatRole.User, Healthcare) };

        var response = streaming
            ? await host.Chat.GetStreamingResponseAsync(messages).ToChatResponseAsync()
            : await host.Chat.GetResponseAsync(messages);

        var outcome = response.GetRouteOutcome()!;
        Assert.Equal(("local summary", BackendLane.Local, RouteReason.LocalOnly, "health"), (response.Text, outcome.Target, outcome.DecisionReason, outcome.SensitiveTopic));
        Assert.Equal(TaskCategory.SafetyCritical, outcome.Category);
        Assert.Empty(host.Cloud.Requests);

        // Like any local-only request: its messages and its answer are marked, so the next turn stays local too.
        Assert.Equal(DataPolicy.LocalOnly, messages[0].GetDataPolicy());
        Assert.Equal(DataPolicy.LocalOnly, response.Messages[^1].GetDataPolicy());

        // The topic's name tags the dispatch; the prompt's words do not.
        var dispatch = Assert.Single(host.Metrics.Of(HybridInferenceTelemetry.Dispatches));
        Assert.Equal("health", dispatch.Tag(HybridInferenceTelemetry.SensitiveTopicTag));
        Assert.DoesNotContain(dispatch.Tags.Values, value => value is string text && text.Contains("medication", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task HealthcareExample_WithTopicsOff_GoesToTheCloudAsToday()
    {
        using var host = Host("\"Action\": \"None\"");
        host.Cloud!.DefaultReply = _ => "cloud summary";

        var response = await host.Chat.GetResponseAsync(User(Healthcare));

        var outcome = response.GetRouteOutcome()!;
        Assert.Equal(("cloud summary", RouteReason.Category, null), (response.Text, outcome.DecisionReason, outcome.SensitiveTopic));
        Assert.Empty(host.Local.Requests);
        Assert.Null(Assert.Single(host.Metrics.Of(HybridInferenceTelemetry.Dispatches)).Tag(HybridInferenceTelemetry.SensitiveTopicTag));
    }

    [Fact]
    public async Task HealthcareExample_WithOnlyOtherTopicsOn_GoesToTheCloud()
    {
        using var host = Host("\"Topics\": { \"BuiltIn\": [ \"hr\", \"legal\" ] }");
        host.Cloud!.DefaultReply = _ => "cloud summary";

        Assert.Equal("cloud summary", (await host.Chat.GetResponseAsync(User(Healthcare))).Text);
    }

    [Fact]
    public async Task OnATopic_WhenTheLocalBackendFails_NothingReachesTheCloud()
    {
        using var host = HealthOn();
        host.Local.Throw(new BackendException(BackendErrorKind.ServerError, "The backend 'local' answered 500.", 500));
        host.Cloud!.DefaultReply = _ => "cloud summary";

        var error = await Assert.ThrowsAsync<LocalBackendUnavailableException>(() => host.Chat.GetResponseAsync(User(Healthcare)));

        Assert.Equal("health", error.GetRouteOutcome()!.SensitiveTopic);
        Assert.Empty(host.Cloud.Requests);
    }

    [Fact]
    public async Task OnATopic_WithRedaction_StaysLocalInsteadOfGoingRedacted()
    {
        using var host = Host("\"Action\": \"Redact\", \"Topics\": { \"BuiltIn\": [ \"legal\" ] }");
        host.Local.DefaultReply = _ => "local";
        host.Cloud!.DefaultReply = _ => "cloud";

        var response = await host.Chat.GetResponseAsync(
            User("Mail ada@example.com the summary of the subpoena."), new ChatOptions().WithTaskCategory(TaskCategory.Complex));

        Assert.Equal(("local", "legal"), (response.Text, response.GetRouteOutcome()!.SensitiveTopic));
        Assert.Empty(host.Cloud.Requests);
    }

    [Fact]
    public async Task CustomTopic_KeepsItsRequestsLocal_OtherRequestsGoWhereTheRulesSay()
    {
        using var host = Host("\"Topics\": { \"Custom\": { \"deals\": { \"Keywords\": [ \"Project Falcon\" ], \"Patterns\": [ \"\\\\bDEAL-[0-9]{4}\\\\b\" ] } } }");
        host.Local.DefaultReply = _ => "local";
        host.Cloud!.DefaultReply = _ => "cloud";
        var complex = new ChatOptions().WithTaskCategory(TaskCategory.Complex);

        var keyword = await host.Chat.GetResponseAsync(User("Plan the next step of project falcon."), complex);
        var pattern = await host.Chat.GetResponseAsync(User("Plan the close of deal-2291."), complex);
        var neither = await host.Chat.GetResponseAsync(User("Plan the migration."), complex);

        Assert.Equal(
            [("local", "deals"), ("local", "deals"), ("cloud", null)],
            new[] { keyword, pattern, neither }.Select(r => (r.Text, r.GetRouteOutcome()!.SensitiveTopic)));
    }

    public static TheoryData<string> Places() =>
        [.. SentRequests.Secrets.Keys.Where(place => place is not ("text-data" or "tool-call-number-argument" or "uri-percent-encoded"))];

    [Theory]
    [MemberData(nameof(Places))]
    public async Task TopicAnywhereInTheRequest_KeepsItLocal(string place)
    {
        using var host = Host("\"Topics\": { \"BuiltIn\": [ \"legal\" ] }");
        host.Local.DefaultReply = _ => """{"id":"local"}""";
        host.Cloud!.DefaultReply = _ => """{"id":"cloud"}""";
        var (messages, options) = SentRequests.Build(place, "subpoena");

        var response = await host.Chat.GetResponseAsync(messages, options);

        Assert.Equal(("""{"id":"local"}""", "legal"), (response.Text, response.GetRouteOutcome()!.SensitiveTopic));
        Assert.Empty(host.Cloud.Requests);
    }

    [Theory]
    [InlineData("\"BuiltIn\": [ \"medical\" ]", "HybridInference:Privacy:Topics:BuiltIn:0")]
    [InlineData("\"Custom\": { \"deals\": { } }", "HybridInference:Privacy:Topics:Custom:deals")]
    [InlineData("\"Custom\": { \"deals\": { \"Keywords\": [ \" \" ] } }", "HybridInference:Privacy:Topics:Custom:deals:Keywords:0")]
    [InlineData("\"Custom\": { \"deals\": { \"Patterns\": [ \"(a)\\\\1\" ] } }", "HybridInference:Privacy:Topics:Custom:deals:Patterns:0")]
    public void TopicThatCannotBeUsed_StopsStartUpNamingItsKey(string topics, string key)
    {
        var error = Assert.Throws<OptionsValidationException>(() => Host($"\"Topics\": {{ {topics} }}"));

        Assert.Contains(error.Failures, failure => failure.StartsWith(key + " ", StringComparison.Ordinal));
    }
}
