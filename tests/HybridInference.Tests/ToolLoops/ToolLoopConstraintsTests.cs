using HybridInference.Routing;

namespace HybridInference.Tests.ToolLoops;

/// <summary>A turn of a tool loop keeps the loop's lane, unless that lane cannot take it; the decision stays one pure function.</summary>
public sealed class ToolLoopConstraintsTests
{
    private static readonly LaneStates Healthy = new(HasCloud: true, LocalRejecting: false, LocalShare: 1, CloudRejecting: false, CloudHasRoom: true, LargestLocalWindow: 8192);

    private static readonly Dictionary<string, LaneStates> Lanes = new()
    {
        ["healthy"] = Healthy,
        ["offline"] = Healthy with { HasCloud = false },
        ["local rejecting"] = Healthy with { LocalRejecting = true },
        ["cloud rejecting"] = Healthy with { CloudRejecting = true },
        ["both rejecting"] = Healthy with { LocalRejecting = true, CloudRejecting = true },
        ["no room"] = Healthy with { CloudHasRoom = false },
        ["recovering"] = Healthy with { LocalShare = 0.01 },
    };

    public static TheoryData<string, BackendLane, RouteDecision, string, DataPolicy, RouteTarget, RouteReason> Table => new()
    {
        { "local loop beats the category", BackendLane.Local, new(RouteTarget.Cloud, RouteReason.Category), "healthy", DataPolicy.Any, RouteTarget.Local, RouteReason.ToolLoop },
        { "local loop beats the policy", BackendLane.Local, new(RouteTarget.Cloud, RouteReason.Policy), "healthy", DataPolicy.Any, RouteTarget.Local, RouteReason.ToolLoop },
        { "local loop, routine", BackendLane.Local, new(RouteTarget.Local, RouteReason.Default), "healthy", DataPolicy.Any, RouteTarget.Local, RouteReason.ToolLoop },
        { "local loop beats the recovery ramp", BackendLane.Local, new(RouteTarget.Local, RouteReason.Default), "recovering", DataPolicy.Any, RouteTarget.Local, RouteReason.ToolLoop },
        { "local loop, local breaker open: moves", BackendLane.Local, new(RouteTarget.Local, RouteReason.Default), "local rejecting", DataPolicy.Any, RouteTarget.Cloud, RouteReason.CircuitOpen },
        { "local loop, both breakers open: stays", BackendLane.Local, new(RouteTarget.Local, RouteReason.Default), "both rejecting", DataPolicy.Any, RouteTarget.Local, RouteReason.ToolLoop },
        { "local loop too long for local: cloud", BackendLane.Local, new(RouteTarget.Cloud, RouteReason.ContextLimit), "healthy", DataPolicy.Any, RouteTarget.Cloud, RouteReason.ContextLimit },
        { "local loop, local-only, local breaker open: never the cloud", BackendLane.Local, new(RouteTarget.Local, RouteReason.Default), "local rejecting", DataPolicy.LocalOnly, RouteTarget.Local, RouteReason.ToolLoop },
        { "local loop, offline", BackendLane.Local, new(RouteTarget.Cloud, RouteReason.Category), "offline", DataPolicy.Any, RouteTarget.Local, RouteReason.NoCloudBackend },
        { "cloud loop beats routine", BackendLane.Cloud, new(RouteTarget.Local, RouteReason.Default), "healthy", DataPolicy.Any, RouteTarget.Cloud, RouteReason.ToolLoop },
        { "cloud loop beats JSON", BackendLane.Cloud, new(RouteTarget.Local, RouteReason.JsonRequired), "healthy", DataPolicy.Any, RouteTarget.Cloud, RouteReason.ToolLoop },
        { "cloud loop with local-only data: local", BackendLane.Cloud, new(RouteTarget.Local, RouteReason.Default), "healthy", DataPolicy.LocalOnly, RouteTarget.Local, RouteReason.Default },
        { "cloud loop with local-only data, category: local", BackendLane.Cloud, new(RouteTarget.Cloud, RouteReason.Category), "healthy", DataPolicy.LocalOnly, RouteTarget.Local, RouteReason.LocalOnly },
        { "cloud loop, cloud breaker open: moves", BackendLane.Cloud, new(RouteTarget.Local, RouteReason.Default), "cloud rejecting", DataPolicy.Any, RouteTarget.Local, RouteReason.CloudCircuitOpen },
        { "cloud loop, cloud budget full: moves", BackendLane.Cloud, new(RouteTarget.Cloud, RouteReason.Category), "no room", DataPolicy.Any, RouteTarget.Local, RouteReason.CloudRateLimited },
        { "cloud loop, local breaker open: stays", BackendLane.Cloud, new(RouteTarget.Local, RouteReason.Default), "local rejecting", DataPolicy.Any, RouteTarget.Cloud, RouteReason.ToolLoop },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void Decide_ForATurnOfALoop_FollowsTheLoopTable(string why, BackendLane loop, RouteDecision preferred, string lanes, DataPolicy policy, RouteTarget target, RouteReason reason)
    {
        var profile = new TaskProfile(TaskCategory.Routine, CategorySource.Default, 100, null, false, policy);

        var decision = RouteConstraints.Decide(profile, preferred, Lanes[lanes], sequence: 1, loop);

        Assert.True(decision == new RouteDecision(target, reason), $"{why}: {decision}");
    }

    [Fact]
    public void Decide_WithoutALoop_IsTheDecisionOfBefore()
    {
        var profile = new TaskProfile(TaskCategory.Routine, CategorySource.Default, 100, null, false, DataPolicy.Any);

        Assert.Equal(new RouteDecision(RouteTarget.Cloud, RouteReason.CircuitOpen), RouteConstraints.Decide(profile, new(RouteTarget.Local, RouteReason.Default), Lanes["local rejecting"], 1, loop: null));
    }
}
