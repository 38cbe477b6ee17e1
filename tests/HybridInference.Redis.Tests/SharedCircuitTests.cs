using System.Diagnostics;
using Polly.CircuitBreaker;
using Xunit.Abstractions;

namespace HybridInference.Redis.Tests;

/// <summary>
/// The lanes' breaker decisions shared through a real Redis by replicas in this process (each its own services, chain,
/// connection and replica id, all on one fake clock): each counts its own failures; one replica's opening opens the
/// others' within a second, its closing closes them, and a replica that starts late finds an opening whose break is
/// not over.
/// </summary>
public sealed class SharedCircuitTests(ITestOutputHelper output)
{
    private static readonly Dictionary<string, string?> Breaker = new()
    {
        ["HybridInference:Routing:BreakDuration"] = "00:00:10",
        ["HybridInference:Routing:FailuresBeforeBreak"] = "5",
        ["HybridInference:Routing:RecoveryRamp"] = "00:00:00",
    };

    [Fact]
    public async Task OneReplicasOpening_OpensTheOthersWithinASecond_AndItsClosingClosesThem()
    {
        await using var redis = await RedisServer.StartAsync();
        var time = new FakeTimeProvider();
        await using var replicas = await ReplicaSet.StartAsync(4, redis, time, Breaker);
        var (decider, others) = (replicas[0], replicas.Skip(1).ToList());
        LocalDown(decider);

        for (var i = 0; i < 5; i++)
        {
            await decider.SendAsync();
        }

        Assert.Equal(CircuitState.Open, decider.Status.GetStatus().LocalCircuit);
        var followed = await WithinASecondAsync(() => others.All(r => r.Status.GetStatus().LocalCircuit == CircuitState.Isolated));
        output.WriteLine($"the others opened {followed.TotalMilliseconds:0} ms after the decider");
        Assert.True(followed < TimeSpan.FromSeconds(1), $"The other replicas opened {followed.TotalMilliseconds:0} ms after the decider.");
        Assert.All(others, r => Assert.Equal(0, r.Local.RequestCount));
        Assert.All(others, r => Assert.Contains(r.Logs.Lines, l => l.Contains($"Replica {decider.Name} opened the Local circuit", StringComparison.Ordinal)));
        Assert.All(others, r => Assert.Equal(1, r.Metrics.Sum("hybrid_inference.circuit.remote_openings", ("lane", "local"))));
        Assert.Equal(0, decider.Metrics.Sum("hybrid_inference.circuit.remote_openings"));

        // While open, the others send routable work to the cloud without trying the local lane.
        var response = await others[0].SendAsync();
        Assert.Equal(BackendLane.Cloud, response.GetRouteOutcome()!.Target);
        Assert.Equal(0, others[0].Local.RequestCount);

        // The decider's trial passes after the break: its closing closes the others.
        decider.Local.DefaultReply = _ => "answered locally";
        time.Advance(TimeSpan.FromSeconds(11));
        Assert.Equal(BackendLane.Local, (await decider.SendAsync()).GetRouteOutcome()!.Target);
        Assert.Equal(CircuitState.Closed, decider.Status.GetStatus().LocalCircuit);
        var closed = await WithinASecondAsync(() => others.All(r => r.Status.GetStatus().LocalCircuit == CircuitState.Closed));
        Assert.True(closed < TimeSpan.FromSeconds(1), $"The other replicas closed {closed.TotalMilliseconds:0} ms after the decider.");
        Assert.All(others, r => Assert.Contains(r.Logs.Lines, l => l.Contains($"Replica {decider.Name} closed the Local circuit", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task AReplicaStartingLate_FindsAnOpeningWhoseBreakIsNotOver()
    {
        await using var redis = await RedisServer.StartAsync();
        var time = new FakeTimeProvider();
        await using var decider = InProcessReplica.Start("early", redis, time, Breaker);
        LocalDown(decider);
        for (var i = 0; i < 5; i++)
        {
            await decider.SendAsync();
        }

        Assert.Equal(CircuitState.Open, decider.Status.GetStatus().LocalCircuit);
        await using var late = InProcessReplica.Start("late", redis, time, Breaker);
        _ = late.Chat; // the chain is built: its breakers join
        var followed = await WithinASecondAsync(() => late.Status.GetStatus().LocalCircuit == CircuitState.Isolated);
        Assert.True(followed < TimeSpan.FromSeconds(1), $"The late replica opened {followed.TotalMilliseconds:0} ms after it started.");
        Assert.Contains(late.Logs.Lines, l => l.Contains("Replica early opened the Local circuit", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AFollowedOpening_ClosesAfterTwiceItsBreak_WhenNoReplicaClosesNorReopensIt()
    {
        await using var redis = await RedisServer.StartAsync();
        var time = new FakeTimeProvider();
        await using var replicas = await ReplicaSet.StartAsync(2, redis, time, Breaker);
        LocalDown(replicas[0]);
        for (var i = 0; i < 5; i++)
        {
            await replicas[0].SendAsync();
        }

        await WithinASecondAsync(() => replicas[1].Status.GetStatus().LocalCircuit == CircuitState.Isolated);
        await replicas[0].DisposeAsync(); // the decider goes away before its trial

        time.Advance(TimeSpan.FromSeconds(19));
        Assert.Equal(CircuitState.Isolated, replicas[1].Status.GetStatus().LocalCircuit);
        time.Advance(TimeSpan.FromSeconds(1));
        await WithinASecondAsync(() => replicas[1].Status.GetStatus().LocalCircuit == CircuitState.Closed);
        Assert.Equal(CircuitState.Closed, replicas[1].Status.GetStatus().LocalCircuit);
        Assert.Equal(BackendLane.Local, (await replicas[1].SendAsync()).GetRouteOutcome()!.Target);
    }

    /// <summary>
    /// The measurement in the package README: four replicas, the local engine down for a minute of fake time (one
    /// request every 250 ms round-robin, 240 in all, breaks of 10 s), counting the local attempts that failed across
    /// the replicas, each counting alone and sharing through Redis.
    /// </summary>
    [Fact]
    public async Task FailedLocalAttemptsDuringAnOutage_AreFewerWhenTheReplicasShareTheirBreakers()
    {
        await using var redis = await RedisServer.StartAsync();
        var alone = await FailedLocalAttemptsAsync(redis, shared: false);
        var sharing = await FailedLocalAttemptsAsync(redis, shared: true);
        output.WriteLine($"failed local attempts across 4 replicas in a minute of outage: {alone} alone, {sharing} sharing");

        // Alone: each replica pays 5 failures in a row, then one failed trial per break (4 x (5 + 5) = 40).
        Assert.Equal(40, alone);

        // Sharing: the first replica to reach 5 opens them all (the others had 4 each), then only it runs the trials.
        Assert.InRange(sharing, 17 + 5, 17 + 5 + 6);
    }

    private async Task<long> FailedLocalAttemptsAsync(RedisServer redis, bool shared)
    {
        var time = new FakeTimeProvider();
        var settings = new Dictionary<string, string?>(Breaker) { ["HybridInference:Redis:ShareCircuits"] = shared ? "true" : "false" };
        await using var replicas = await ReplicaSet.StartAsync(4, redis, time, settings, prefix: shared ? "shared" : "alone");
        foreach (var replica in replicas)
        {
            LocalDown(replica);
        }

        for (var i = 0; i < 240; i++)
        {
            var replica = replicas[i % 4];
            var response = await replica.SendAsync();
            Assert.Equal(BackendLane.Cloud, response.GetRouteOutcome()!.Target); // no request fails: the cloud answers
            if (shared && replica.Status.GetStatus().LocalCircuit == CircuitState.Open)
            {
                // The decision reaches the others over pub/sub in real time; the next request comes 250 ms later.
                await WithinASecondAsync(() => replicas.All(r => r.Status.GetStatus().LocalCircuit is CircuitState.Open or CircuitState.Isolated));
            }

            time.Advance(TimeSpan.FromMilliseconds(250));
        }

        return replicas.Sum(r => r.Local.RequestCount);
    }

    private static void LocalDown(InProcessReplica replica) =>
        replica.Local.DefaultReply = _ => throw new BackendException(BackendErrorKind.Unavailable, "local engine down");

    private static async Task<TimeSpan> WithinASecondAsync(Func<bool> condition)
    {
        var waited = Stopwatch.StartNew();
        while (!condition() && waited.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(5);
        }

        return waited.Elapsed;
    }
}

/// <summary>Several in-process replicas started together, disposed together.</summary>
public sealed class ReplicaSet : List<InProcessReplica>, IAsyncDisposable
{
    public static Task<ReplicaSet> StartAsync(int count, RedisServer redis, TimeProvider time, IDictionary<string, string?> settings, string prefix = "replica")
    {
        var set = new ReplicaSet();
        for (var i = 0; i < count; i++)
        {
            var replica = InProcessReplica.Start($"{prefix}-{i + 1}", redis, time, new Dictionary<string, string?>(settings) { ["HybridInference:Redis:KeyPrefix"] = prefix });
            _ = replica.Chat;
            set.Add(replica);
        }

        return Task.FromResult(set);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var replica in this)
        {
            await replica.DisposeAsync();
        }
    }
}
