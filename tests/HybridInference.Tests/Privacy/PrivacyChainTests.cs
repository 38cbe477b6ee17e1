using HybridInference.Tests.Chain;
using Microsoft.Extensions.DependencyInjection;
using static HybridInference.Tests.Chain.Requests;

namespace HybridInference.Tests.Privacy;

/// <summary>Privacy:Action through the whole chain: personal data stays local, or reaches the cloud only redacted; a failing detector keeps it local.</summary>
public sealed class PrivacyChainTests
{
    private const string Secret = "Plan a refund for ada@example.com, card 4111 1111 1111 1111.";

    private static readonly ChatOptions Complex = new ChatOptions().WithTaskCategory(TaskCategory.Complex);

    private static HybridHost Host(string action, Action<IServiceCollection>? services = null) =>
        HybridHost.Create(HybridHost.DefaultJson.Replace("\"Routing\": {", $"\"Privacy\": {{ \"Action\": \"{action}\" }}, \"Routing\": {{", StringComparison.Ordinal), services: services);

    [Fact]
    public async Task LocalOnly_ARequestWithPersonalData_NeverReachesTheCloud()
    {
        using var host = Host("LocalOnly");
        host.Local.Reply("local plan").Throw(new BackendException(BackendErrorKind.ServerError, "The backend 'local' answered 500.", 500));

        var response = await host.Chat.GetResponseAsync(User(Secret), Complex);
        await Assert.ThrowsAsync<LocalBackendUnavailableException>(() => host.Chat.GetResponseAsync(User(Secret), Complex));

        Assert.Equal(("local plan", RouteReason.LocalOnly), (response.Text, response.GetRouteOutcome()!.DecisionReason));
        Assert.Empty(host.Cloud!.Requests);
    }

    [Fact]
    public async Task LocalOnly_ARequestWithout_StillGoesWhereTheRulesSay()
    {
        using var host = Host("LocalOnly");
        host.Cloud!.DefaultReply = _ => "cloud plan";

        Assert.Equal("cloud plan", (await host.Chat.GetResponseAsync(User("Plan the migration."), Complex)).Text);
    }

    [Fact]
    public async Task Redact_TheCloudGetsPlaceholders_TheLocalBackendTheOriginal()
    {
        using var host = Host("Redact");
        host.Cloud!.DefaultReply = _ => "cloud plan";
        host.Local.Throw(new BackendException(BackendErrorKind.ServerError, "The backend 'local' answered 500.", 500));

        await host.Chat.GetResponseAsync(User(Secret), Complex);
        await host.Chat.GetResponseAsync(User("Summarize: " + Secret));

        Assert.Equal(2, host.Cloud.Requests.Count);
        Assert.All(host.Cloud.Requests, r =>
        {
            var text = r.Messages[^1].Text;
            Assert.DoesNotContain("ada@example.com", text, StringComparison.Ordinal);
            Assert.DoesNotContain("4111", text, StringComparison.Ordinal);
            Assert.Contains("[EMAIL], card [PAYMENT_CARD].", text, StringComparison.Ordinal);
        });
        Assert.Contains("ada@example.com", Assert.Single(host.Local.Requests).Messages[^1].Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ADetectorThatThrows_KeepsTheRequestLocal_EvenWhenRedacting()
    {
        using var host = Host("Redact", services => services.AddSingleton<IPiiDetector, ThrowingDetector>());
        host.Local.Reply("local plan");
        host.Cloud!.DefaultReply = _ => "cloud plan";

        var response = await host.Chat.GetResponseAsync(User(Secret), Complex);

        Assert.Equal(("local plan", BackendLane.Local), (response.Text, response.GetRouteOutcome()!.Target));
        Assert.Empty(host.Cloud.Requests);
    }

    [Fact]
    public void ACustomPatternThatCannotRun_StopsStartUpNamingItsKey()
    {
        var json = HybridHost.DefaultJson.Replace(
            "\"Routing\": {", "\"Privacy\": { \"Action\": \"Redact\", \"CustomPatterns\": { \"Badge\": \"(a)\\\\1\" } }, \"Routing\": {", StringComparison.Ordinal);

        var error = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => HybridHost.Create(json));
        Assert.Contains("HybridInference:Privacy:CustomPatterns:Badge", error.Message, StringComparison.Ordinal);
    }

    private sealed class ThrowingDetector : IPiiDetector
    {
        public IReadOnlyList<PiiMatch> Detect(string text) => throw new InvalidOperationException("detector bug");
    }
}
