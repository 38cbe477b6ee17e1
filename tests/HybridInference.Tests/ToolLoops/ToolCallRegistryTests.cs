using HybridInference.Internal;
using HybridInference.ToolLoops;

namespace HybridInference.Tests.ToolLoops;

/// <summary>The memory of tool calls: bounded, expiring on the clock it is given, thread-safe.</summary>
public sealed class ToolCallRegistryTests
{
    private static readonly ToolLoopLane Local = new(new BackendInfo("local", BackendLane.Local, "vllm", "m", 8192), MovedFrom: null);
    private static readonly ToolLoopLane Cloud = new(new BackendInfo("cloud", BackendLane.Cloud, "openai", "gpt", null), MovedFrom: "local");

    [Fact]
    public void Find_BeforeTheExpiry_ReturnsWhereTheCallWasMade()
    {
        var time = new FakeTimeProvider();
        var calls = new ToolCallRegistry(TimeSpan.FromMinutes(10), 100, time);
        calls.Record("call_1", Local);
        calls.Record("call_2", Cloud);

        time.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromTicks(1));

        Assert.Same(Local, calls.Find("call_1"));
        Assert.Same(Cloud, calls.Find("call_2"));
        Assert.Null(calls.Find("call_3"));
    }

    [Fact]
    public void Find_AtTheExpiry_HasForgottenTheCall()
    {
        var time = new FakeTimeProvider();
        var calls = new ToolCallRegistry(TimeSpan.FromMinutes(10), 100, time);
        calls.Record("call_1", Local);
        time.Advance(TimeSpan.FromMinutes(6));
        calls.Record("call_2", Cloud);

        time.Advance(TimeSpan.FromMinutes(4));

        Assert.Null(calls.Find("call_1"));
        Assert.Same(Cloud, calls.Find("call_2"));
        Assert.Equal(1, calls.Count); // the expired call is gone from memory, not only hidden
        time.Advance(TimeSpan.FromMinutes(6));
        Assert.Null(calls.Find("call_2"));
        Assert.True(calls.IsEmpty);
    }

    [Fact]
    public void Record_AgainBeforeTheExpiry_StartsTheCallsTimeAgain()
    {
        var time = new FakeTimeProvider();
        var calls = new ToolCallRegistry(TimeSpan.FromMinutes(10), 100, time);
        calls.Record("call_1", Local);
        time.Advance(TimeSpan.FromMinutes(8));
        calls.Record("call_1", Cloud);

        time.Advance(TimeSpan.FromMinutes(8));

        Assert.Same(Cloud, calls.Find("call_1"));
        Assert.Equal(1, calls.Count);
    }

    [Fact]
    public void Record_PastTheBound_ForgetsTheOldestCallsFirst()
    {
        var calls = new ToolCallRegistry(TimeSpan.FromMinutes(10), 3, new FakeTimeProvider());

        for (var i = 1; i <= 5; i++)
        {
            calls.Record($"call_{i}", Local);
        }

        Assert.Equal(3, calls.Count);
        Assert.Null(calls.Find("call_1"));
        Assert.Null(calls.Find("call_2"));
        Assert.All(new[] { "call_3", "call_4", "call_5" }, id => Assert.Same(Local, calls.Find(id)));
    }

    [Fact]
    public void Record_TheSameCallOverAndOver_IsOneCallAndForgetsNoOther()
    {
        var calls = new ToolCallRegistry(TimeSpan.FromMinutes(10), 3, new FakeTimeProvider());
        calls.Record("call_a", Cloud);
        calls.Record("call_b", Cloud);

        for (var i = 0; i < 10_000; i++)
        {
            calls.Record("call_same", Local);
        }

        Assert.Equal(3, calls.Count);
        Assert.Same(Local, calls.Find("call_same"));
        Assert.Same(Cloud, calls.Find("call_a"));
        calls.Record("call_c", Local); // the bound takes the oldest: call_a, then call_b; call_same was recorded last
        calls.Record("call_d", Local);
        Assert.Null(calls.Find("call_a"));
        Assert.Null(calls.Find("call_b"));
        Assert.Same(Local, calls.Find("call_same"));
    }

    [Fact]
    public async Task RecordAndFind_FromManyThreads_StayConsistentAndBounded()
    {
        var calls = new ToolCallRegistry(TimeSpan.FromMinutes(10), 500, new FakeTimeProvider());

        await Parallel.ForAsync(0, 8, async (thread, _) =>
        {
            await Task.Yield();
            for (var i = 0; i < 5_000; i++)
            {
                var id = $"call_{thread}_{i}";
                calls.Record(id, thread % 2 == 0 ? Local : Cloud);
                var found = calls.Find(id);
                Assert.True(found is null || ReferenceEquals(found, thread % 2 == 0 ? Local : Cloud));
            }
        });

        Assert.Equal(500, calls.Count);
    }

    [Fact]
    public void Create_WithoutAPositiveExpiryOrBound_IsRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>("expiry", () => new ToolCallRegistry(TimeSpan.Zero, 10, TimeProvider.System));
        Assert.Throws<ArgumentOutOfRangeException>("capacity", () => new ToolCallRegistry(TimeSpan.FromMinutes(1), 0, TimeProvider.System));
    }
}
