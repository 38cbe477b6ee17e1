using static HybridInference.Tests.Chain.Requests;

namespace HybridInference.Tests.Routing;

/// <summary>The router alone, with fake lanes: constraints beat any policy.</summary>
public sealed class HybridRouterChatClientTests
{
    private sealed class AlwaysCloudPolicy : IRoutingPolicy
    {
        public RouteDecision Decide(TaskProfile profile) => new(RouteTarget.Cloud, RouteReason.Policy);
    }

    [Fact]
    public async Task CustomPolicy_ChoosesTheLane()
    {
        var local = new FakeChatClient("local");
        var cloud = new FakeChatClient("cloud").Reply("cloud");
        var chat = new ChatClientBuilder(local).UseCostMeter().UseTaskClassifier().UseHybridRouter(cloud, new AlwaysCloudPolicy()).Build();

        var response = await chat.GetResponseAsync(User("Summarize."));

        Assert.Equal(RouteReason.Policy, response.GetRouteOutcome()!.DecisionReason);
        Assert.Equal(EscalationReason.Policy, response.GetRouteOutcome()!.EscalationReason);
        Assert.Empty(local.Requests);
    }

    [Fact]
    public async Task CustomPolicy_CannotSendLocalOnlyToTheCloud()
    {
        var local = new FakeChatClient("local").Reply("local");
        var cloud = new FakeChatClient("cloud");
        var chat = new ChatClientBuilder(local).UseCostMeter().UseTaskClassifier().UseHybridRouter(cloud, new AlwaysCloudPolicy()).Build();

        var response = await chat.GetResponseAsync(User("Private"), new ChatOptions().WithDataPolicy(DataPolicy.LocalOnly));

        Assert.Equal(RouteReason.LocalOnly, response.GetRouteOutcome()!.DecisionReason);
        Assert.Empty(cloud.Requests);
        Assert.Single(local.Requests);
    }

    [Fact]
    public async Task RouterAlone_ClassifiesRequestsItself()
    {
        var local = new FakeChatClient("local");
        var cloud = new FakeChatClient("cloud").Reply("cloud");
        var chat = new ChatClientBuilder(local).UseHybridRouter(cloud).Build();

        var response = await chat.GetResponseAsync(User("Explain the root cause step by step."));

        Assert.Equal("cloud", response.Text);
        Assert.Empty(local.Requests);
    }
}
