namespace HybridInference.Tests.Routing;

public sealed class DefaultRoutingPolicyTests
{
    private static readonly DefaultRoutingPolicy Policy = new(4096);

    private static TaskProfile Profile(TaskCategory category = TaskCategory.Routine, int tokens = 100, int? maxOutput = null, bool json = false) =>
        new(category, CategorySource.Default, tokens, maxOutput, json, DataPolicy.Any);

    [Theory]
    [InlineData(TaskCategory.Routine, 100, false, RouteTarget.Local, RouteReason.Default)]
    [InlineData(TaskCategory.Routine, 4096, false, RouteTarget.Local, RouteReason.Default)]
    [InlineData(TaskCategory.Routine, 4097, false, RouteTarget.Cloud, RouteReason.ContextLimit)]
    [InlineData(TaskCategory.Routine, 100, true, RouteTarget.Local, RouteReason.JsonRequired)]
    [InlineData(TaskCategory.Routine, 5000, true, RouteTarget.Cloud, RouteReason.ContextLimit)]
    [InlineData(TaskCategory.Complex, 100, false, RouteTarget.Cloud, RouteReason.Category)]
    [InlineData(TaskCategory.Complex, 100, true, RouteTarget.Cloud, RouteReason.Category)]
    [InlineData(TaskCategory.SafetyCritical, 100, false, RouteTarget.Cloud, RouteReason.Category)]
    public void Decide_FollowsTheDecisionTable(TaskCategory category, int tokens, bool json, RouteTarget target, RouteReason reason)
    {
        Assert.Equal(new RouteDecision(target, reason), Policy.Decide(Profile(category, tokens, json: json)));
    }

    [Fact]
    public void Decide_CountsRequestedOutputTokens()
    {
        Assert.Equal(RouteTarget.Cloud, Policy.Decide(Profile(tokens: 3000, maxOutput: 1500)).Target);
    }

    [Fact]
    public void Constructor_NonPositiveLimit_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new DefaultRoutingPolicy(0));
    }
}
