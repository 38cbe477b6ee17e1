using System.Diagnostics;
using Xunit.Abstractions;

namespace HybridInference.Engine.Tests;

/// <summary>
/// What the chain reads of a real llama-server's load: the busy slots from <c>/slots</c> (other clients' work counts
/// like a queue), health probes from the first second after start, and, at concurrency 8 on 4 slots, the server's
/// queue and token counts on <c>/metrics</c> against the chain's outcomes.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class LoadTests(EngineFixture engine, ITestOutputHelper output) : SharedServerTest
{
    private protected override EngineFixture Shared => engine;

    [Fact]
    public async Task BusySlots_OfOtherClients_AreReadFromSlotsIntoTheStatus()
    {
        var settings = EngineChain.Settings(engine.Server, engine.Cloud);
        settings["HybridInference:Local:HealthCheckInterval"] = EngineChain.Seconds(0.5);
        await using var chain = EngineChain.Build(settings);
        using var others = new CancellationTokenSource();

        // Three long answers of another client, outside the chain.
        var busy = Enumerable.Range(0, 3).Select(i => ServerPages.ChatAsync(engine.Server, $"Tell a long story {i}.", 1500, stream: true, others.Token)).ToArray();
        try
        {
            var seen = await chain.WaitForAsync(s => s.Backends.Single(b => b.Lane == BackendLane.Local).ReportedQueue == 3, TimeSpan.FromSeconds(4));
            var slots = await ServerPages.Http.GetStringAsync(new Uri(engine.Server.Root, "slots"));
            Assert.True(seen, $"the status never showed the 3 busy slots; it shows {chain.Local.ReportedQueue}; /slots: {slots[..Math.Min(400, slots.Length)]}");
            Assert.Equal(0, chain.Local.InFlight);
        }
        finally
        {
            await others.CancelAsync();
            foreach (var call in busy)
            {
                try
                {
                    (await call).Dispose();
                }
                catch (OperationCanceledException)
                {
                }
            }
        }

        Assert.True(await chain.WaitForAsync(s => s.Backends.Single(b => b.Lane == BackendLane.Local).ReportedQueue == 0, TimeSpan.FromSeconds(4)), "the busy slots were not released in the status");
    }

    [Fact]
    public async Task HealthProbes_WithTheDefaultInterval_RunWithinTheFirstSecond()
    {
        var clock = Stopwatch.StartNew();
        await using var chain = EngineChain.Build(EngineChain.Settings(engine.Server, engine.Cloud)); // HealthCheckInterval 30 s

        var probed = await chain.WaitForAsync(s => s.Backends.Single(b => b.Lane == BackendLane.Local).LastProbeAt is not null, TimeSpan.FromSeconds(1));

        output.WriteLine($"first probe seen after {clock.Elapsed.TotalMilliseconds:F0} ms: {probed}");
        Assert.True(probed, "no health probe within the first second after start");
        Assert.True(chain.Local.LastProbeHealthy);
    }

    [Fact]
    public async Task Concurrency8_On4Slots_AllAnswerLocally_AndTheTokensMatchTheServersMetrics()
    {
        await using var chain = EngineChain.Build(EngineChain.Settings(engine.Server, engine.Cloud));
        await chain.Chat.GetResponseAsync("Warm up.", new ChatOptions { MaxOutputTokens = 4 });
        var before = await ServerPages.MetricsAsync(engine.Server);
        const int Concurrency = 8;
        const int Rounds = 4;
        var deferredMax = 0.0;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                deferredMax = Math.Max(deferredMax, (await ServerPages.MetricsAsync(engine.Server)).GetValueOrDefault("requests_deferred"));
                await Task.Delay(20);
            }
        });

        var clock = Stopwatch.StartNew();
        var outcomes = await Task.WhenAll(Enumerable.Range(0, Concurrency).Select(async worker =>
        {
            List<(RouteOutcome Outcome, TimeSpan Latency)> mine = [];
            for (var round = 0; round < Rounds; round++)
            {
                var started = clock.Elapsed;
                var response = await chain.Chat.GetResponseAsync($"Worker {worker} round {round}: say something.", new ChatOptions { MaxOutputTokens = 16 });
                mine.Add((response.GetRouteOutcome()!, clock.Elapsed - started));
            }

            return mine;
        }));
        var wall = clock.Elapsed;
        await sampling.CancelAsync();
        await sampler;
        var after = await ServerPages.MetricsAsync(engine.Server);

        var raw = await RawAsync(engine.Server, Concurrency, Rounds);
        var all = outcomes.SelectMany(o => o).ToArray();
        var latencies = all.Select(a => a.Latency.TotalMilliseconds).Order().ToArray();
        output.WriteLine($"concurrency {Concurrency} on {engine.Server.Slots} slots, {all.Length} requests of 16 tokens: {wall.TotalSeconds:F2} s, " +
                         $"latency p50 {latencies[latencies.Length / 2]:F0} ms, p95 {latencies[(int)(latencies.Length * 0.95)]:F0} ms, max {latencies[^1]:F0} ms; " +
                         $"server requests_deferred up to {deferredMax}");
        output.WriteLine($"the same with a plain HttpClient: {raw.Wall.TotalSeconds:F2} s, latency p50 {raw.Latencies[raw.Latencies.Length / 2]:F0} ms, " +
                         $"p95 {raw.Latencies[(int)(raw.Latencies.Length * 0.95)]:F0} ms, max {raw.Latencies[^1]:F0} ms");
        Assert.All(all, a => Assert.Equal((BackendLane.Local, 1), (a.Outcome.Target, a.Outcome.Attempts)));
        Assert.Equal(after["tokens_predicted_total"] - before["tokens_predicted_total"], all.Sum(a => a.Outcome.OutputTokens));
        Assert.Equal(
            after["prompt_tokens_total"] + after["prompt_tokens_cached_total"] - before["prompt_tokens_total"] - before["prompt_tokens_cached_total"],
            all.Sum(a => a.Outcome.InputTokens));
    }

    private static async Task<(TimeSpan Wall, double[] Latencies)> RawAsync(LlamaServer server, int concurrency, int rounds)
    {
        var clock = Stopwatch.StartNew();
        var latencies = await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async worker =>
        {
            List<double> mine = [];
            for (var round = 0; round < rounds; round++)
            {
                var started = clock.Elapsed;
                using var response = await ServerPages.ChatAsync(server, $"Worker {worker} round {round}: say something.", 16, stream: false);
                response.EnsureSuccessStatusCode();
                await response.Content.ReadAsStringAsync();
                mine.Add((clock.Elapsed - started).TotalMilliseconds);
            }

            return mine;
        }));
        return (clock.Elapsed, [.. latencies.SelectMany(l => l).Order()]);
    }
}
