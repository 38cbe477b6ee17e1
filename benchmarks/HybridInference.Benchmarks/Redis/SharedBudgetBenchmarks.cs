using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using HybridInference.Redis;
using Microsoft.Extensions.Logging.Abstractions;
using RedisRateLimiting;
using StackExchange.Redis;

namespace HybridInference.Benchmarks.Redis;

/// <summary>
/// One permit of the shared cloud budget on a real redis-server on 127.0.0.1 (started here, without persistence):
/// the package's own Lua script (<see cref="RedisCloudBudget"/>: requests and tokens in one atomic call over six
/// segment counters) against the served RedisRateLimiting 1.2.1 sliding window (a sorted set with one member per
/// request, requests only), over the same StackExchange.Redis 3.4.35 connection kind. The limits are far above what a
/// run takes, so every call is a grant. Baseline: a <c>PING</c>, the round trip itself.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class SharedBudgetBenchmarks
{
    private Process? _server;
    private RedisConnection? _connection;
    private RedisCloudBudget? _lua;
    private RedisSlidingWindowRateLimiter<string>? _served;
    private ConnectionMultiplexer? _multiplexer;

    [GlobalSetup]
    public void Setup()
    {
        var port = FreePort();
        var folder = Directory.CreateTempSubdirectory("bench-redis-").FullName;
        _server = Process.Start(new ProcessStartInfo("redis-server", ["--port", port.ToString(), "--bind", "127.0.0.1", "--save", string.Empty, "--appendonly", "no", "--dir", folder])
        {
            RedirectStandardOutput = true,
        })!;
        var configuration = $"127.0.0.1:{port}";
        for (var i = 0; i < 200 && !Answers(port); i++)
        {
            Thread.Sleep(25);
        }

        var options = new RedisCoordinationOptions { Configuration = configuration, OperationTimeout = TimeSpan.FromSeconds(1) };
        _connection = new RedisConnection(options, "bench", NullLogger.Instance, meterFactory: null);
        _lua = new RedisCloudBudget(_connection, TimeProvider.System);
        _multiplexer = ConnectionMultiplexer.Connect(configuration);
        _served = new RedisSlidingWindowRateLimiter<string>("bench", new RedisSlidingWindowRateLimiterOptions
        {
            ConnectionMultiplexerFactory = () => _multiplexer,
            PermitLimit = int.MaxValue,
            Window = TimeSpan.FromMinutes(1),
        });
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _served?.Dispose();
        _multiplexer?.Dispose();
        _connection?.Dispose();
        _server?.Kill();
        _server?.Dispose();
    }

    [Benchmark(Baseline = true)]
    public async Task<TimeSpan> Ping() => await _multiplexer!.GetDatabase().PingAsync();

    [Benchmark]
    public async Task<bool?> OwnLuaScript_RequestsAndTokens() => await _lua!.TryAcquireAsync(int.MaxValue, int.MaxValue, 500, CancellationToken.None);

    [Benchmark]
    public async Task<bool?> OwnLuaScript_RequestsOnly() => await _lua!.TryAcquireAsync(int.MaxValue, null, 500, CancellationToken.None);

    [Benchmark]
    public async Task<bool> RedisRateLimiting_SlidingWindow()
    {
        using var lease = await _served!.AcquireAsync(1);
        return lease.IsAcquired;
    }

    private static bool Answers(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
