using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace HybridInference.Redis;

/// <summary>
/// The replica's connection to Redis and whether it may use it now. Every call is bounded by
/// <see cref="RedisCoordinationOptions.OperationTimeout"/> (real time: it waits on the network); the first call that
/// fails or is late marks Redis unreachable (one warning per outage, a metric), after which calls are not even tried and
/// answer "unknown" at once, so the replica uses its own state, until a probe off the request path gets an answer
/// (logged; the replica rejoins).
/// </summary>
/// <remarks>Thread-safe. Owns the multiplexer.</remarks>
internal sealed class RedisConnection : IDisposable
{
    private readonly ConnectionMultiplexer _multiplexer;
    private readonly ILogger _logger;
    private readonly TimeSpan _timeout;
    private readonly ITimer _probe;
    private readonly Counter<long> _fallbacks;
    private readonly Counter<long> _outages;
    private readonly Meter? _ownMeter;
    private readonly List<Action> _rejoined = [];
    private readonly Lock _gate = new();
    private long _downSince;
    private int _probing;
    private volatile bool _up;
    private volatile bool _disposed;

    public RedisConnection(RedisCoordinationOptions options, string replicaId, ILogger logger, IMeterFactory? meterFactory)
    {
        ReplicaId = replicaId;
        _logger = logger;
        _timeout = options.OperationTimeout;
        Prefix = options.KeyPrefix;
        // A meter of the factory is the factory's (shared with the core's instruments): only one made here is disposed here.
        _ownMeter = meterFactory is null ? new Meter(RedisDefaults.MeterName) : null;
        var meter = _ownMeter ?? meterFactory!.Create(RedisDefaults.MeterName);
        _fallbacks = meter.CreateCounter<long>(RedisDefaults.Fallbacks, "{call}", "Redis calls answered from the replica's own state instead: Redis unreachable or late.");
        _outages = meter.CreateCounter<long>(RedisDefaults.Outages, "{outage}", "Times the replica lost Redis and fell back to its own cloud budget and breaker.");
        meter.CreateObservableGauge(RedisDefaults.Available, () => _up ? 1 : 0, description: "1 while the replica uses the shared state on Redis, 0 while it uses its own.");

        var configuration = ConfigurationOptions.Parse(options.Configuration);
        configuration.AbortOnConnectFail = false;
        configuration.ConnectTimeout = (int)options.ConnectTimeout.TotalMilliseconds;
        configuration.BacklogPolicy = BacklogPolicy.FailFast;
        Endpoints = string.Join(", ", configuration.EndPoints.Select(EndPointText));
        _multiplexer = ConnectionMultiplexer.Connect(configuration);
        _up = _multiplexer.IsConnected;
        _probe = TimeProvider.System.CreateTimer(static state => ((RedisConnection)state!).Probe(), this, options.ReconnectInterval, options.ReconnectInterval);
        if (!_up)
        {
            MarkDown("no connection at start-up");
        }

        _multiplexer.ConnectionFailed += (_, args) => MarkDown(args.FailureType.ToString());
    }

    /// <summary>Gets this replica's name in what it publishes.</summary>
    public string ReplicaId { get; }

    /// <summary>Gets the prefix of every key and channel.</summary>
    public string Prefix { get; }

    /// <summary>Gets the servers, as host:port (never the configuration string: it may hold a password).</summary>
    public string Endpoints { get; }

    /// <summary>Gets a value indicating whether the replica uses Redis now.</summary>
    public bool IsUp => _up;

    /// <summary>Gets the multiplexer, for subscriptions.</summary>
    public ConnectionMultiplexer Multiplexer => _multiplexer;

    /// <summary>Registers a callback run (off the request path) each time the replica rejoins after an outage.</summary>
    public void OnRejoined(Action callback)
    {
        lock (_gate)
        {
            _rejoined.Add(callback);
        }
    }

    /// <summary>
    /// Runs one call on Redis within the timeout. While Redis is unreachable, the call is not made.
    /// </summary>
    /// <returns>Whether it answered in time, and its answer.</returns>
    public async ValueTask<(bool Answered, T Value)> RunAsync<T>(Func<IDatabase, Task<T>> call, string operation)
    {
        if (!_up)
        {
            Fallback(operation);
            return (false, default!);
        }

        Task<T> task;
        try
        {
            task = call(_multiplexer.GetDatabase());
            return (true, await task.WaitAsync(_timeout, TimeProvider.System).ConfigureAwait(false));
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            MarkDown(ex is TimeoutException ? $"no answer within {_timeout.TotalMilliseconds:0.###} ms" : ex.GetType().Name);
            Fallback(operation);
            return (false, default!);
        }
    }

    public void Dispose()
    {
        _disposed = true;
        _probe.Dispose();
        _multiplexer.Dispose();
        _ownMeter?.Dispose();
    }

    private void Fallback(string operation) => _fallbacks.Add(1, new KeyValuePair<string, object?>(RedisDefaults.OperationTag, operation));

    private void MarkDown(string failure)
    {
        lock (_gate)
        {
            if (_disposed || _downSince != 0)
            {
                return;
            }

            _downSince = TimeProvider.System.GetTimestamp();
        }

        // Counted and warned before the replica is seen to be down, so that whoever reads a fallback (a request on its
        // own budget) also reads the outage and its warning.
        _outages.Add(1);
        RedisLog.Unreachable(_logger, Endpoints, failure);
        lock (_gate)
        {
            // Unless a probe has rejoined meanwhile (it clears the outage's start): possible only while starting down.
            if (_downSince != 0)
            {
                _up = false;
            }
        }
    }

    /// <summary>Asks Redis for an answer while it is marked unreachable (every <c>ReconnectInterval</c>); the first answer rejoins.</summary>
    private void Probe()
    {
        if (_disposed || _up || Interlocked.Exchange(ref _probing, 1) == 1)
        {
            return;
        }

        _ = ProbeAsync();
    }

    private async Task ProbeAsync()
    {
        var answered = false;
        try
        {
            await _multiplexer.GetDatabase().PingAsync().WaitAsync(TimeSpan.FromSeconds(1), TimeProvider.System).ConfigureAwait(false);
            answered = true;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            // Still unreachable: the timer asks again.
        }
        finally
        {
            Volatile.Write(ref _probing, 0);
        }

        List<Action> callbacks;
        TimeSpan outage;
        lock (_gate)
        {
            if (!answered || _disposed || _up)
            {
                return;
            }

            outage = TimeProvider.System.GetElapsedTime(_downSince);
            _downSince = 0;
            _up = true;
            callbacks = [.. _rejoined];
        }

        RedisLog.Rejoined(_logger, Endpoints, outage);
        foreach (var callback in callbacks)
        {
            callback();
        }
    }

    private static string EndPointText(System.Net.EndPoint endPoint) => endPoint switch
    {
        System.Net.DnsEndPoint dns => $"{dns.Host}:{dns.Port}",
        System.Net.IPEndPoint ip => ip.ToString(),
        _ => endPoint.GetType().Name,
    };
}
