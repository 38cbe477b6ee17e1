using HybridInference.Routing;
using HybridInference.Tests.Chain;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace HybridInference.Tests.Routing;

/// <summary>Routing:OnCloudUnavailable: its defaults, its keys, and the pure rule that says whether a request the cloud failed runs locally.</summary>
public sealed class CloudUnavailableOptionsTests
{
    private static TaskProfile Profile(TaskCategory category, int promptTokens = 100, DataPolicy policy = DataPolicy.Any) =>
        new(category, CategorySource.Explicit, promptTokens, MaxOutputTokens: null, RequiresJson: false, policy) { DefaultOutputTokens = 1024 };

    [Fact]
    public void Defaults_RoutineAndComplexDegrade_SafetyCriticalFails()
    {
        var options = new RoutingOptions().OnCloudUnavailable;

        Assert.Equal(
            (CloudUnavailableAction.Degrade, CloudUnavailableAction.Degrade, CloudUnavailableAction.Fail),
            (options.Routine, options.Complex, options.SafetyCritical));
    }

    [Fact]
    public void Keys_AreBoundFromConfiguration()
    {
        using var host = HybridHost.Create(HybridHost.DefaultJsonWith("Routing", "\"OnCloudUnavailable\": { \"Routine\": \"Fail\", \"SafetyCritical\": \"Degrade\" }"));

        var options = host.Provider.GetRequiredService<IOptions<HybridInferenceOptions>>().Value.Routing.OnCloudUnavailable;

        Assert.Equal(
            (CloudUnavailableAction.Fail, CloudUnavailableAction.Degrade, CloudUnavailableAction.Degrade),
            (options.Routine, options.Complex, options.SafetyCritical));
    }

    [Fact]
    public void AMisspelledKey_IsReportedWithTheNearestOne()
    {
        var error = Assert.ThrowsAny<Exception>(() => HybridHost.Create(HybridHost.DefaultJsonWith("Routing", "\"OnCloudUnavailable\": { \"SafetyCritcal\": \"Degrade\" }")).Dispose());

        Assert.Contains("HybridInference:Routing:OnCloudUnavailable:SafetyCritcal is not a configuration key", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("Did you mean HybridInference:Routing:OnCloudUnavailable:SafetyCritical?", error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true, false, null, 100, null)]
    [InlineData(true, false, 8192, 100, null)]
    [InlineData(false, false, 8192, 100, "HybridInference:Routing:OnCloudUnavailable:Complex is Fail")]
    [InlineData(true, true, 8192, 100, "the local circuit breaker is open too")]
    [InlineData(true, false, 1000, 100, "it needs 1124 tokens (prompt and output budget), more than the largest local context window (1000), and its history was not reduced (HybridInference:Local:History:Mode is Off)")]
    public void WhyNotDegraded_IsNullOnlyWhenTheCategoryDegrades_LocalIsUp_AndTheRequestFits(bool degrades, bool localRejecting, int? window, int promptTokens, string? expected)
    {
        Assert.Equal(expected, RouteConstraints.WhyNotDegraded(Profile(TaskCategory.Complex, promptTokens), degrades, localRejecting, window));
    }

    [Fact]
    public void WhyNotDegraded_AfterHistoryFitting_AsksAboutTheSizeTheFitterReached_AndSaysWhenEvenThatIsTooLong()
    {
        Assert.Null(RouteConstraints.WhyNotDegraded(Profile(TaskCategory.Complex, 100), categoryDegrades: true, localRejecting: false, 8192, historyFitted: true));
        Assert.Equal(
            "it needs 9124 tokens (prompt and output budget), more than the largest local context window (8192), even with its history reduced: its last turn (the last user message and what follows it) alone does not fit",
            RouteConstraints.WhyNotDegraded(Profile(TaskCategory.Complex, 8100), categoryDegrades: true, localRejecting: false, 8192, historyFitted: true));
    }

    [Fact]
    public void Decide_ACategoryThatFails_IsNotMovedLocally_WhileTheCloudBreakerIsOpenOrItsBudgetFull()
    {
        var preferred = new RouteDecision(RouteTarget.Cloud, RouteReason.Category);
        var open = new LaneStates(HasCloud: true, LocalRejecting: false, LocalShare: 1, CloudRejecting: true, CloudHasRoom: false, LargestLocalWindow: 8192);

        Assert.Equal(preferred, RouteConstraints.Decide(Profile(TaskCategory.SafetyCritical), preferred, open, 0, categoryDegrades: false));
        Assert.Equal(RouteReason.CloudCircuitOpen, RouteConstraints.Decide(Profile(TaskCategory.SafetyCritical), preferred, open, 0, categoryDegrades: true).Reason);
    }
}
