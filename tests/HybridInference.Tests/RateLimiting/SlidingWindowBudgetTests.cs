using HybridInference.RateLimiting;

namespace HybridInference.Tests.RateLimiting;

public sealed class SlidingWindowBudgetTests
{
    [Fact]
    public void PermitsReturn_OnlyWhenTheirSegmentLeavesTheWindow()
    {
        using var budget = new SlidingWindowBudget(limit: 3, segments: 3);
        Assert.True(budget.AttemptAcquire(2).IsAcquired);
        budget.Advance();
        Assert.True(budget.AttemptAcquire(1).IsAcquired);
        Assert.False(budget.AttemptAcquire(1).IsAcquired);

        budget.Advance();
        Assert.False(budget.AttemptAcquire(1).IsAcquired);

        budget.Advance(); // the segment holding the first 2 permits leaves the window
        Assert.Equal(2, budget.GetStatistics()!.CurrentAvailablePermits);
        Assert.True(budget.AttemptAcquire(2).IsAcquired);
    }

    [Fact]
    public async Task Waiting_IsAnsweredWhenTheWindowMoves()
    {
        using var budget = new SlidingWindowBudget(limit: 1, segments: 1);
        Assert.True(budget.AttemptAcquire(1).IsAcquired);

        var waiting = budget.AcquireAsync(1).AsTask();
        Assert.False(waiting.IsCompleted);
        budget.Advance();

        Assert.True((await waiting).IsAcquired);
    }

    [Fact]
    public void MorePermitsThanTheLimit_IsAnArgumentError()
    {
        using var budget = new SlidingWindowBudget(limit: 2, segments: 6);

        Assert.Throws<ArgumentOutOfRangeException>(() => budget.AttemptAcquire(3));
    }
}
