using HybridInference.RateLimiting;

namespace HybridInference.Tests.RateLimiting;

/// <summary>
/// The cloud budget with an <see cref="ISharedCloudBudget"/> (the seam HybridInference.Redis fills; a scripted one
/// here): the shared answer decides while there is one, every shared permit is counted in the local window too, and
/// when the shared budget cannot answer the local window decides alone.
/// </summary>
public sealed class SharedCloudBudgetSeamTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public async Task SharedBudgetWithoutRoom_GivesNoPermit_ThoughTheLocalWindowHasRoom()
    {
        var shared = new ScriptedBudget { Answer = false };
        using var limiter = new CloudRateLimiter(5, null, TimeSpan.Zero, _time, shared);

        Assert.Null(await limiter.AcquireAsync(1, CancellationToken.None));
        Assert.Equal(1, shared.Calls);
    }

    [Fact]
    public async Task SharedBudgetNotAnswering_TheLocalWindowDecidesAlone()
    {
        var shared = new ScriptedBudget { Answer = null };
        using var limiter = new CloudRateLimiter(2, null, TimeSpan.Zero, _time, shared);

        Assert.NotNull(await limiter.AcquireAsync(1, CancellationToken.None));
        Assert.NotNull(await limiter.AcquireAsync(1, CancellationToken.None));
        Assert.Null(await limiter.AcquireAsync(1, CancellationToken.None));
    }

    [Fact]
    public async Task SharedPermits_AreCountedInTheLocalWindow_SoALostSharedBudgetGoesOnFromThem()
    {
        var shared = new ScriptedBudget { Answer = true };
        using var limiter = new CloudRateLimiter(2, 100, TimeSpan.Zero, _time, shared);
        Assert.NotNull(await limiter.AcquireAsync(10, CancellationToken.None));
        Assert.NotNull(await limiter.AcquireAsync(10, CancellationToken.None));

        shared.Answer = null;

        Assert.False(limiter.HasRoomNow(1));
        Assert.Null(await limiter.AcquireAsync(1, CancellationToken.None));
    }

    [Fact]
    public void HasRoomNow_IsFalse_WhenTheSharedBudgetLastHadNoRoom_AndReadsNothingElse()
    {
        var shared = new ScriptedBudget { Room = false };
        using var limiter = new CloudRateLimiter(5, null, TimeSpan.Zero, _time, shared);

        Assert.False(limiter.HasRoomNow(1));
        shared.Room = null;
        Assert.True(limiter.HasRoomNow(1));
        Assert.Equal(0, shared.Calls);
    }

    [Fact]
    public async Task SharedBudgetWithoutRoom_IsAskedAgainAsTheWindowMoves_WithinTheQueueTime()
    {
        var shared = new ScriptedBudget { Answer = false };
        using var limiter = new CloudRateLimiter(5, null, TimeSpan.FromSeconds(30), _time, shared);

        var waiting = limiter.AcquireAsync(1, CancellationToken.None).AsTask();
        Assert.False(waiting.IsCompleted);
        shared.Answer = true;
        _time.Advance(TimeSpan.FromSeconds(10));

        Assert.NotNull(await waiting);
        Assert.Equal(2, shared.Calls);
    }

    private sealed class ScriptedBudget : ISharedCloudBudget
    {
        public bool? Answer { get; set; }

        public bool? Room { get; set; }

        public int Calls { get; private set; }

        public ValueTask<bool?> TryAcquireAsync(int requestsPerMinute, int? tokensPerMinute, int tokens, CancellationToken cancellationToken)
        {
            Calls++;
            return new(Answer);
        }

        public bool? HasRoom(int tokens) => Room;
    }
}
