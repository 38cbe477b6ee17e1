namespace HybridInference.Redis.Tests;

/// <summary>
/// Four processes of the load program, one per replica, each with <c>Cloud:RequestsPerMinute</c> 600, send complex
/// requests as fast as they can to one cloud stand-in that counts what it receives. The runs last seconds of real time,
/// well within the budget's minute, so no permit comes back during them: whatever the cloud received was sent in one
/// window.
/// </summary>
public sealed class SharedBudgetAcrossProcessesTests
{
    private const int Budget = 600;
    private const int Replicas = 4;

    [Fact]
    public async Task FourReplicas_SharingTheBudgetThroughRedis_SendAtMostTheBudgetTogether()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var cloud = await CloudStandIn.StartAsync();

        // Each replica asks for more than the whole budget; a second's timeout keeps a loaded machine from falling back.
        var results = await RunAsync(cloud, "--requests", "250", "--redis", redis.Configuration, "--redis-timeout-ms", "1000");

        Assert.All(results, r => Assert.Equal(0, r.Failed));
        Assert.Equal(Replicas * 250, results.Sum(r => r.Sent));
        Assert.Equal(Budget, cloud.Requests.Count(r => r.Method == "POST"));
        Assert.Equal(Budget, results.Sum(r => r.Cloud));
    }

    [Fact]
    public async Task FourReplicas_WithoutRedis_SendFourTimesTheBudget()
    {
        await using var cloud = await CloudStandIn.StartAsync();

        var results = await RunAsync(cloud, "--requests", "650");

        Assert.All(results, r => Assert.Equal(0, r.Failed));
        Assert.All(results, r => Assert.Equal(Budget, r.Cloud));
        Assert.Equal(Replicas * Budget, cloud.Requests.Count(r => r.Method == "POST"));
    }

    private static async Task<ReplicaResult[]> RunAsync(LoopbackServer cloud, params string[] arguments)
    {
        var processes = Enumerable.Range(1, Replicas)
            .Select(i => ReplicaProcess.Start($"replica-{i}", ["--cloud", cloud.V1.ToString(), .. arguments]))
            .ToList();
        try
        {
            return await Task.WhenAll(processes.Select(p => p.ResultAsync()));
        }
        finally
        {
            foreach (var process in processes)
            {
                await process.DisposeAsync();
            }
        }
    }
}
