using HybridInference.CircuitBreaker;

namespace HybridInference.Tests.CircuitBreaker;

/// <summary>The breaker's clock: on the system clock it reads the coarse clock, which keeps to the wall clock; a move only goes forward.</summary>
public sealed class LaneClockTests
{
    [Fact]
    public void SystemClock_ReadsTheWallClock_ToAFewMilliseconds()
    {
        var clock = new LaneClock(TimeProvider.System);
        var before = TimeProvider.System.GetUtcNow();
        var read = clock.GetUtcNow();
        var after = TimeProvider.System.GetUtcNow();

        Assert.InRange(read, before - TimeSpan.FromMilliseconds(50), after + TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public void SystemClock_MovedToTheEndOfABreak_ReadsAtLeastThat_AndNeverMovesBack()
    {
        var clock = new LaneClock(TimeProvider.System);
        var end = TimeProvider.System.GetUtcNow() + TimeSpan.FromMinutes(5);

        Assert.True(clock.MoveTo(end.UtcTicks));
        Assert.True(clock.GetUtcNow() >= end);
        Assert.False(clock.MoveTo(end.UtcTicks - TimeSpan.TicksPerMinute));
        Assert.True(clock.GetUtcNow() >= end);
    }

    [Fact]
    public void FakeClock_IsReadAsItIs()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 2, 7, 0, 0, TimeSpan.Zero));
        var clock = new LaneClock(time);
        time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Equal(time.GetUtcNow(), clock.GetUtcNow());
    }
}
