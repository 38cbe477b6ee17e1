using HybridInference.Routing;

namespace HybridInference.Tests.Routing;

/// <summary>The router's decision is one pure function of the profile, the policy's preference and the lanes' states.</summary>
public sealed class RouteConstraintsTests
{
    private static readonly LaneStates Healthy = new(HasCloud: true, LocalRejecting: false, LocalShare: 1, CloudRejecting: false, CloudHasRoom: true, LargestLocalWindow: 8192);

    private static TaskProfile Profile(DataPolicy policy = DataPolicy.Any, int tokens = 100) =>
        new(TaskCategory.Complex, CategorySource.Explicit, tokens, null, false, policy);

    private static readonly Dictionary<string, LaneStates> Lanes = new()
    {
        ["healthy"] = Healthy,
        ["offline"] = Healthy with { HasCloud = false },
        ["cloud rejecting"] = Healthy with { CloudRejecting = true },
        ["both rejecting"] = Healthy with { CloudRejecting = true, LocalRejecting = true },
        ["no room"] = Healthy with { CloudHasRoom = false },
        ["no room, cloud rejecting"] = Healthy with { CloudHasRoom = false, CloudRejecting = true },
        ["local rejecting"] = Healthy with { LocalRejecting = true },
    };

    public static TheoryData<string, RouteDecision, string, DataPolicy, RouteTarget, RouteReason> Table => new()
    {
        { "local-only beats the category", new(RouteTarget.Cloud, RouteReason.Category), "healthy", DataPolicy.LocalOnly, RouteTarget.Local, RouteReason.LocalOnly },
        { "offline keeps it local", new(RouteTarget.Cloud, RouteReason.Category), "offline", DataPolicy.Any, RouteTarget.Local, RouteReason.NoCloudBackend },
        { "cloud failing, local healthy", new(RouteTarget.Cloud, RouteReason.Category), "cloud rejecting", DataPolicy.Any, RouteTarget.Local, RouteReason.CloudCircuitOpen },
        { "cloud failing, local failing too", new(RouteTarget.Cloud, RouteReason.Category), "both rejecting", DataPolicy.Any, RouteTarget.Cloud, RouteReason.Category },
        { "cloud budget full", new(RouteTarget.Cloud, RouteReason.Policy), "no room", DataPolicy.Any, RouteTarget.Local, RouteReason.CloudRateLimited },
        { "too long stays cloud, budget or not", new(RouteTarget.Cloud, RouteReason.ContextLimit), "no room, cloud rejecting", DataPolicy.Any, RouteTarget.Cloud, RouteReason.ContextLimit },
        { "local failing", new(RouteTarget.Local, RouteReason.Default), "local rejecting", DataPolicy.Any, RouteTarget.Cloud, RouteReason.CircuitOpen },
        { "local failing, JSON", new(RouteTarget.Local, RouteReason.JsonRequired), "local rejecting", DataPolicy.Any, RouteTarget.Cloud, RouteReason.CircuitOpen },
        { "local failing, local-only", new(RouteTarget.Local, RouteReason.Default), "local rejecting", DataPolicy.LocalOnly, RouteTarget.Local, RouteReason.Default },
        { "healthy", new(RouteTarget.Local, RouteReason.Default), "healthy", DataPolicy.Any, RouteTarget.Local, RouteReason.Default },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void Decide_FollowsTheConstraintTable(string why, RouteDecision preferred, string lanes, DataPolicy policy, RouteTarget target, RouteReason reason)
    {
        var decision = RouteConstraints.Decide(Profile(policy), preferred, Lanes[lanes], sequence: 1);

        Assert.True(decision == new RouteDecision(target, reason), $"{why}: {decision}");
    }

    [Fact]
    public void Decide_LocalOnlyTooLongForEveryLocalWindow_FailsNamingTheSizes()
    {
        var error = Assert.Throws<ContextWindowExceededException>(
            () => RouteConstraints.Decide(Profile(DataPolicy.LocalOnly, tokens: 9000), new(RouteTarget.Cloud, RouteReason.ContextLimit), Healthy, sequence: 1));

        Assert.Equal((9000, 8192), (error.RequiredTokens, error.ContextWindow));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.25)]
    [InlineData(0.5)]
    [InlineData(0.9)]
    public void Decide_DuringTheRecoveryRamp_LocalTakesItsShare_SpreadEvenly_AndTheSameInputsDecideTheSame(double share)
    {
        var lanes = Healthy with { LocalShare = share };
        var local = 0;
        var longestCloudRun = 0;
        var run = 0;
        for (var sequence = 1L; sequence <= 1000; sequence++)
        {
            var decision = RouteConstraints.Decide(Profile(), new(RouteTarget.Local, RouteReason.Default), lanes, sequence);
            Assert.Equal(decision, RouteConstraints.Decide(Profile(), new(RouteTarget.Local, RouteReason.Default), lanes, sequence));
            if (decision.Target == RouteTarget.Local)
            {
                local++;
                run = 0;
            }
            else
            {
                Assert.Equal(RouteReason.CircuitRecovering, decision.Reason);
                longestCloudRun = Math.Max(longestCloudRun, ++run);
            }
        }

        Assert.InRange(local, (int)(share * 1000) - 5, (int)(share * 1000) + 5);
        if (share >= 0.25)
        {
            Assert.True(longestCloudRun <= 4, $"a run of {longestCloudRun} requests went to the cloud in a row at a local share of {share}");
        }
    }
}
