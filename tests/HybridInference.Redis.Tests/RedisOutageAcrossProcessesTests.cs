using System.Diagnostics;

namespace HybridInference.Redis.Tests;

/// <summary>
/// Redis killed in the middle of a run of four replicas sharing the budget: no request fails for it, each replica goes
/// on with its own budget (together they then pass the shared one, none passes its own), warns once, and logs its
/// return when Redis is started again.
/// </summary>
public sealed class RedisOutageAcrossProcessesTests
{
    private const int Budget = 600;

    [Fact]
    public async Task RedisKilledMidRun_NoRequestFails_EachReplicaDegradesToItsOwnLimit_AndRejoins()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var cloud = await CloudStandIn.StartAsync();
        var processes = Enumerable.Range(1, 4)
            .Select(i => ReplicaProcess.Start(
                $"replica-{i}", "--cloud", cloud.V1.ToString(), "--redis", redis.Configuration, "--until-stop", "--pace-ms", "10",
                "--redis-timeout-ms", "200", "--reconnect-ms", "200"))
            .ToList();
        try
        {
            await Task.WhenAll(processes.Select(p => p.WaitForLineAsync("READY")));
            await UntilAsync(() => CloudRequests(cloud) >= 100, "the replicas to send 100 requests to the cloud");
            var beforeKill = CloudRequests(cloud);
            Assert.True(beforeKill <= Budget, $"{beforeKill} cloud requests before Redis was killed: more than the shared budget of {Budget}.");

            await redis.KillAsync();
            await Task.WhenAll(processes.Select(p => p.WaitForLineAsync("is unreachable")));

            // On their own budgets, the replicas together pass the shared one.
            await UntilAsync(() => CloudRequests(cloud) > Budget + 100, $"the replicas to pass {Budget + 100} cloud requests on their own budgets");

            await redis.RestartAsync();
            await Task.WhenAll(processes.Select(p => p.WaitForLineAsync("is reachable again")));
            await Task.WhenAll(processes.Select(p => p.StopAsync()));
            var results = await Task.WhenAll(processes.Select(p => p.ResultAsync()));

            Assert.All(results, r => Assert.Equal(0, r.Failed));
            Assert.All(results, r => Assert.InRange(r.Cloud, 1, Budget));
            Assert.Equal(CloudRequests(cloud), results.Sum(r => r.Cloud));
            Assert.All(processes, p => Assert.Single(p.Lines, line => line.Contains("is unreachable", StringComparison.Ordinal)));
        }
        finally
        {
            foreach (var process in processes)
            {
                await process.DisposeAsync();
            }
        }
    }

    private static int CloudRequests(LoopbackServer cloud) => cloud.Requests.Count(r => r.Method == "POST");

    private static async Task UntilAsync(Func<bool> condition, string what)
    {
        var waited = Stopwatch.StartNew();
        while (!condition())
        {
            if (waited.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new TimeoutException($"Waited a minute for {what}.");
            }

            await Task.Delay(20);
        }
    }
}
