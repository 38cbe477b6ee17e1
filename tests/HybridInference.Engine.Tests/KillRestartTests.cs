using System.Collections.Concurrent;
using System.Diagnostics;
using Xunit.Abstractions;

namespace HybridInference.Engine.Tests;

/// <summary>
/// The real server killed under steady, low traffic (two requests a second, far below <c>MinimumThroughput</c> per
/// sampling window) and started again on the same port: no caller sees a failure, the local breaker opens within a
/// few seconds, and once the server is back a passing health probe ends the break at once (no waiting out
/// <c>BreakDuration</c>), so local traffic returns within one <c>HealthCheckInterval</c> plus the recovery ramp. The
/// breaker counts the failures as what the backend said they were, and the backend's last error clears. The
/// timeline goes to the test output.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class KillRestartTests(EngineFixture engine, ITestOutputHelper output)
{
    private static readonly TimeSpan HealthCheckInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan RecoveryRamp = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(500);

    [Fact]
    public async Task ServerKilledAndRestarted_UnderSteadyTraffic_NoCallerFails_BreakerOpensFast_AndLocalReturnsAfterAProbe()
    {
        await using var server = await LlamaServer.StartAsync(slots: 2, context: 2048);
        var settings = EngineChain.Settings(server, engine.Cloud);
        settings["HybridInference:Local:HealthCheckInterval"] = EngineChain.Seconds(HealthCheckInterval.TotalSeconds);
        settings["HybridInference:Routing:RecoveryRamp"] = EngineChain.Seconds(RecoveryRamp.TotalSeconds);
        settings["HybridInference:Routing:BreakDuration"] = EngineChain.Seconds(30); // the default: only a probe can end the break early
        settings["HybridInference:Local:Backends:0:Timeout"] = EngineChain.Seconds(5);
        await using var chain = EngineChain.Build(settings);
        var clock = Stopwatch.StartNew();
        var results = new ConcurrentQueue<(TimeSpan At, BackendLane? Target, string? Error)>();
        var opened = TimeSpan.MinValue;
        using var stop = new CancellationTokenSource();

        var watcher = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                if (opened == TimeSpan.MinValue && chain.Status.LocalCircuit == Polly.CircuitBreaker.CircuitState.Open)
                {
                    opened = clock.Elapsed;
                }

                await Task.Delay(10);
            }
        });
        var traffic = Task.Run(async () =>
        {
            List<Task> calls = [];
            using var timer = new PeriodicTimer(Period);
            var i = 0;
            try
            {
                do
                {
                    var n = i++;
                    calls.Add(Task.Run(async () =>
                    {
                        try
                        {
                            var response = await chain.Chat.GetResponseAsync($"Request {n}: say hello.", new ChatOptions { MaxOutputTokens = 8 });
                            results.Enqueue((clock.Elapsed, response.GetRouteOutcome()!.Target, null));
                        }
                        catch (Exception e)
                        {
                            results.Enqueue((clock.Elapsed, null, $"{e.GetType().Name}: {e.Message}"));
                        }
                    }));
                }
                while (await timer.WaitForNextTickAsync(stop.Token));
            }
            catch (OperationCanceledException)
            {
                // The traffic stops.
            }

            await Task.WhenAll(calls);
        });

        await Task.Delay(TimeSpan.FromSeconds(3));
        var killed = clock.Elapsed;
        await server.KillAsync();
        await Task.Delay(TimeSpan.FromSeconds(4));
        var restarting = clock.Elapsed;
        await server.RestartAsync();
        var ready = clock.Elapsed;
        await Task.Delay(HealthCheckInterval + RecoveryRamp + TimeSpan.FromSeconds(3));
        await stop.CancelAsync();
        await traffic;
        await watcher;

        var all = results.OrderBy(r => r.At).ToArray();
        var firstLocal = all.FirstOrDefault(r => r.At > ready && r.Target == BackendLane.Local).At;
        var afterReady = all.Where(r => r.At > ready).ToArray();
        var fullyLocal = Enumerable.Range(0, afterReady.Length).Select(i => afterReady[i..]).FirstOrDefault(rest => rest.Length >= 4 && rest.All(r => r.Target == BackendLane.Local))?[0].At;
        var status = chain.Status;
        output.WriteLine($"requests {all.Length} (one every {Period.TotalMilliseconds:F0} ms), failed {all.Count(r => r.Error is not null)}, local {all.Count(r => r.Target == BackendLane.Local)}, cloud {all.Count(r => r.Target == BackendLane.Cloud)}");
        output.WriteLine($"killed at {killed.TotalSeconds:F2} s; breaker open {(opened == TimeSpan.MinValue ? "never" : $"after {(opened - killed).TotalSeconds:F2} s")}");
        output.WriteLine($"restart began at {restarting.TotalSeconds:F2} s, healthy at {ready.TotalSeconds:F2} s ({(ready - restarting).TotalSeconds:F2} s)");
        output.WriteLine($"first local answer {(firstLocal == default ? "never" : $"{(firstLocal - ready).TotalSeconds:F2} s after the server was healthy")}; " +
                         $"all local from {(fullyLocal is { } f ? $"{(f - ready).TotalSeconds:F2} s after" : "never")} (HealthCheckInterval {HealthCheckInterval.TotalSeconds} s, RecoveryRamp {RecoveryRamp.TotalSeconds} s)");
        output.WriteLine($"breaker failures: {string.Join(", ", status.LocalCircuitFailures.Select(f => $"{f.Key} {f.Value}"))}; at the end {status.LocalCircuit}, last error '{status.Backends.Single(b => b.Lane == BackendLane.Local).LastError}'");

        Assert.True(all.All(r => r.Error is null), "callers saw failures:\n" + string.Join('\n', all.Where(r => r.Error is not null).Select(r => r.Error)));
        Assert.True(opened != TimeSpan.MinValue && opened - killed <= TimeSpan.FromSeconds(3), "the breaker did not open within 3 s of the kill");
        Assert.True(firstLocal != default && firstLocal - ready <= HealthCheckInterval + TimeSpan.FromSeconds(1), "local traffic did not return within one HealthCheckInterval of the server being back");
        Assert.True(fullyLocal is { } full && full - ready <= HealthCheckInterval + RecoveryRamp + TimeSpan.FromSeconds(1.5), "local traffic was not back in full within HealthCheckInterval plus the ramp");
        Assert.Equal(Polly.CircuitBreaker.CircuitState.Closed, status.LocalCircuit);
        var kinds = status.LocalCircuitFailures.Where(f => f.Value > 0).Select(f => f.Key).ToArray();
        Assert.Contains(CircuitFailureReason.Refused, kinds); // connection refused while the server was down
        Assert.All(kinds, k => Assert.Contains(k, new[] { CircuitFailureReason.Refused, CircuitFailureReason.Disconnected }));
        Assert.Null(status.Backends.Single(b => b.Lane == BackendLane.Local).LastError);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ServerKilled_MidStream_EndsInStreamInterrupted_AndCountsAsADisconnect(bool localOnly)
    {
        await using var server = await LlamaServer.StartAsync(slots: 1, context: 2048);
        await using var chain = EngineChain.Build(EngineChain.Settings(server, engine.Cloud));
        var options = new ChatOptions { MaxOutputTokens = 1900 };
        if (localOnly)
        {
            options.WithDataPolicy(DataPolicy.LocalOnly);
        }

        var updates = 0;
        var error = await Assert.ThrowsAsync<StreamInterruptedException>(async () =>
        {
            await foreach (var update in chain.Chat.GetStreamingResponseAsync("Tell a long story.", options))
            {
                if (update.Text.Length > 0 && ++updates == 3)
                {
                    await server.KillAsync();
                }
            }
        });

        Assert.True(error.GetRouteOutcome()!.OutputCommitted);
        var failures = chain.Status.LocalCircuitFailures.Where(f => f.Value > 0).ToDictionary();
        Assert.Equal([CircuitFailureReason.Disconnected], failures.Keys);
        Assert.Equal(1, failures[CircuitFailureReason.Disconnected]);
    }
}
