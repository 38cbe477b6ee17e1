using HybridInference.Internal;

namespace HybridInference.Tests.Internal;

/// <summary>The request's start is told from the one timestamp its duration is measured from, and follows the wall clock.</summary>
public sealed class WallClockTests
{
    [Fact]
    public void UtcAt_IsTheClocksTimeAtTheTimestamp_BeforeAndAfterTheOriginIsReadAgain()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 2, 7, 0, 0, TimeSpan.Zero));
        var clock = new WallClock(time);
        foreach (var step in new[] { TimeSpan.Zero, TimeSpan.FromMilliseconds(3), TimeSpan.FromSeconds(59), TimeSpan.FromMinutes(2), TimeSpan.FromHours(5), TimeSpan.FromTicks(1) })
        {
            time.Advance(step);
            Assert.Equal(time.GetUtcNow(), clock.UtcAt(time.GetTimestamp()));
        }
    }

    [Fact]
    public void UtcAt_ATimestampReadBeforeTheOrigin_IsToldAsItWas()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 2, 7, 0, 0, TimeSpan.Zero));
        var clock = new WallClock(time);
        var earlier = time.GetTimestamp();
        var earlierTime = time.GetUtcNow();
        time.Advance(TimeSpan.FromSeconds(2));
        clock.UtcAt(time.GetTimestamp());

        Assert.Equal(earlierTime, clock.UtcAt(earlier));
    }

    [Fact]
    public void UtcAt_OnTheSystemClock_FollowsItsWallClock()
    {
        var clock = new WallClock(TimeProvider.System);
        clock.UtcAt(TimeProvider.System.GetTimestamp());
        var before = TimeProvider.System.GetUtcNow();
        var told = clock.UtcAt(TimeProvider.System.GetTimestamp());
        var after = TimeProvider.System.GetUtcNow();

        Assert.InRange(told, before - TimeSpan.FromMilliseconds(50), after + TimeSpan.FromMilliseconds(50));
    }
}
