namespace HybridInference.Redis.Tests;

/// <summary>
/// The shared cloud budget on a real Redis, with replicas in this process on one fake clock: its window slides with
/// the clock, the token limit holds across replicas as well, and a replica that loses Redis goes on with its own
/// budget at once, warns once, counts the fallbacks, and rejoins when Redis is back.
/// </summary>
public sealed class SharedBudgetTests
{
    private static readonly ChatOptions Complex = new ChatOptions().WithTaskCategory(TaskCategory.Complex);
    private static readonly Dictionary<string, string?> TenAMinute = new() { ["HybridInference:Cloud:RequestsPerMinute"] = "10" };

    [Fact]
    public async Task TheSharedWindow_SlidesWithTheClock()
    {
        await using var redis = await RedisServer.StartAsync();
        var time = new FakeTimeProvider();
        await using var replicas = await ReplicaSet.StartAsync(2, redis, time, TenAMinute);
        var (a, b) = (replicas[0], replicas[1]);

        Assert.Equal(10, await CloudAnswersAsync([a, b], 15));

        // Six segments of ten seconds: 50 s on, the first segment's permits are still in the window; 60 s on they are free.
        time.Advance(TimeSpan.FromSeconds(50));
        Assert.Equal(0, await CloudAnswersAsync([a, b], 4));
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(10, await CloudAnswersAsync([a, b], 15));
    }

    [Fact]
    public async Task TheTokenLimit_HoldsAcrossReplicas()
    {
        await using var redis = await RedisServer.StartAsync();
        var time = new FakeTimeProvider();
        var settings = new Dictionary<string, string?>
        {
            ["HybridInference:Cloud:RequestsPerMinute"] = "1000",
            ["HybridInference:Cloud:TokensPerMinute"] = "3000",
        };
        await using var a = InProcessReplica.Start("a", redis, time, settings);
        await using var b = InProcessReplica.Start("b", redis, time, settings);
        var prompt = string.Join(' ', Enumerable.Repeat("word", 600)); // several hundred tokens with the output budget

        var sent = 0;
        for (var i = 0; i < 20; i++)
        {
            var response = await (i % 2 == 0 ? a : b).Chat.GetResponseAsync(prompt, Complex);
            sent += response.GetRouteOutcome()!.Target == BackendLane.Cloud ? 1 : 0;
        }

        // Together they send what one replica sends alone: the same 3,000 tokens, whoever asks.
        var alone = await CloudAnswersWithoutRedisAsync(time, settings, prompt);
        Assert.InRange(alone, 1, 9);
        Assert.Equal(alone, sent);
    }

    [Fact]
    public async Task RedisLost_TheReplicaUsesItsOwnBudgetAtOnce_WarnsOnce_CountsTheFallbacks_AndRejoins()
    {
        await using var redis = await RedisServer.StartAsync();
        var time = new FakeTimeProvider();
        await using var replicas = await ReplicaSet.StartAsync(2, redis, time, TenAMinute);
        var (a, b) = (replicas[0], replicas[1]);
        Assert.Equal(6, await CloudAnswersAsync([a, b], 6));

        await redis.KillAsync();

        // No request fails; each replica has its own ten, of which it used three.
        Assert.Equal(7, await CloudAnswersAsync([a], 10));

        // The warning comes from whichever thread saw the failure first (a request, or the client's connection event).
        await UntilAsync(() => a.Logs.Lines.Any(l => l.Contains("is unreachable", StringComparison.Ordinal)));
        Assert.Single(a.Logs.Lines, l => l.Contains("is unreachable", StringComparison.Ordinal));
        Assert.True(a.Metrics.Sum("hybrid_inference.redis.fallbacks", ("operation", "budget")) >= 7);
        Assert.Equal(1, a.Metrics.Sum("hybrid_inference.redis.outages"));
        a.Metrics.RecordObservableInstruments();
        Assert.Equal(0, a.Metrics.Of("hybrid_inference.redis.available").Last().Value);

        await redis.RestartAsync();
        await UntilAsync(() => new[] { a, b }.All(r => r.Logs.Lines.Any(l => l.Contains("is reachable again", StringComparison.Ordinal))));
        a.Metrics.RecordObservableInstruments();
        Assert.Equal(1, a.Metrics.Of("hybrid_inference.redis.available").Last().Value);

        // Rejoined: the new Redis holds an empty window, which both share again; neither passes its own limit.
        Assert.Equal(0, await CloudAnswersAsync([a], 3)); // a's own window is full: it never passes its own limit
        Assert.Equal(7, await CloudAnswersAsync([b], 10)); // b used three of its own, the shared window has room
    }

    private static async Task<int> CloudAnswersAsync(IReadOnlyList<InProcessReplica> replicas, int requests)
    {
        var cloud = 0;
        for (var i = 0; i < requests; i++)
        {
            var response = await replicas[i % replicas.Count].Chat.GetResponseAsync("Find the root cause of this deadlock.", Complex);
            cloud += response.GetRouteOutcome()!.Target == BackendLane.Cloud ? 1 : 0;
        }

        return cloud;
    }

    private static async Task<int> CloudAnswersWithoutRedisAsync(TimeProvider time, IDictionary<string, string?> settings, string prompt)
    {
        await using var alone = InProcessReplica.Start("alone", redis: null, time, settings);
        var sent = 0;
        for (var i = 0; i < 20; i++)
        {
            sent += (await alone.Chat.GetResponseAsync(prompt, Complex)).GetRouteOutcome()!.Target == BackendLane.Cloud ? 1 : 0;
        }

        return sent;
    }

    private static async Task UntilAsync(Func<bool> condition)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(30), "Waited 30 s.");
            await Task.Delay(20);
        }
    }
}
