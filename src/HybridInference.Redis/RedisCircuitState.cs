using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace HybridInference.Redis;

/// <summary>
/// The lanes' breaker decisions shared over Redis: an opening or closing is published on one channel
/// (<c>PREFIX:circuits</c>, message <c>lane|open|breakMs|replica</c>) and written to a key per lane
/// (<c>PREFIX:circuit:lane</c>, <c>replica|breakMs</c>) that expires with the break, so a replica that starts late, or
/// rejoins after an outage, reads an opening whose break is not over. Messages of this replica are ignored.
/// </summary>
/// <remarks>Publishing returns at once: it runs in the background, bounded by the operation timeout.</remarks>
internal sealed class RedisCircuitState : ISharedCircuitState, IDisposable
{
    private readonly RedisConnection _connection;
    private readonly ILogger _logger;
    private readonly Counter<long> _remoteOpenings;
    private readonly Meter? _ownMeter;
    private readonly RedisChannel _channel;
    private readonly Lock _gate = new();
    private readonly Dictionary<BackendLane, List<Subscription>> _subscriptions = [];
    private int _subscribed;

    public RedisCircuitState(RedisConnection connection, ILogger logger, IMeterFactory? meterFactory)
    {
        _connection = connection;
        _logger = logger;
        // A meter of the factory is the factory's (shared with the core's instruments): only one made here is disposed here.
        _ownMeter = meterFactory is null ? new Meter(RedisDefaults.MeterName) : null;
        var meter = _ownMeter ?? meterFactory!.Create(RedisDefaults.MeterName);
        _remoteOpenings = meter.CreateCounter<long>(
            RedisDefaults.RemoteOpenings, "{opening}", "Lane circuits opened on this replica because another replica's opened.");
        _channel = RedisChannel.Literal(connection.Prefix + ":circuits");
        SubscribeToChannel();
        connection.OnRejoined(() =>
        {
            SubscribeToChannel();
            _ = ReadAllAsync();
        });
    }

    public void PublishOpened(BackendLane lane, TimeSpan breakDuration) => _ = PublishAsync(lane, open: true, breakDuration);

    public void PublishClosed(BackendLane lane) => _ = PublishAsync(lane, open: false, TimeSpan.Zero);

    public IDisposable Subscribe(BackendLane lane, Action<TimeSpan> opened, Action closed)
    {
        var subscription = new Subscription(this, lane, opened, closed);
        lock (_gate)
        {
            if (!_subscriptions.TryGetValue(lane, out var list))
            {
                _subscriptions[lane] = list = [];
            }

            list.Add(subscription);
        }

        _ = ReadAsync(lane);
        return subscription;
    }

    public void Dispose() => _ownMeter?.Dispose();

    /// <summary>
    /// Subscribes to the channel once: StackExchange.Redis keeps a subscription it made across reconnections; one that
    /// failed (Redis unreachable at start-up) is made when the replica rejoins.
    /// </summary>
    private void SubscribeToChannel()
    {
        if (Volatile.Read(ref _subscribed) == 1)
        {
            return;
        }

        try
        {
            _connection.Multiplexer.GetSubscriber().Subscribe(_channel, (_, message) => Received(message));
            Volatile.Write(ref _subscribed, 1);
        }
        catch (RedisException)
        {
            // Unreachable now: tried again when the replica rejoins.
        }
    }

    private RedisKey Key(BackendLane lane) => $"{_connection.Prefix}:circuit:{Name(lane)}";

    private static string Name(BackendLane lane) => lane == BackendLane.Local ? "local" : "cloud";

    private async Task PublishAsync(BackendLane lane, bool open, TimeSpan breakDuration)
    {
        var breakMs = (long)breakDuration.TotalMilliseconds;
        var message = $"{Name(lane)}|{(open ? 1 : 0)}|{breakMs.ToString(CultureInfo.InvariantCulture)}|{_connection.ReplicaId}";
        var key = Key(lane);
        var record = $"{_connection.ReplicaId}|{breakMs.ToString(CultureInfo.InvariantCulture)}";
        await _connection.RunAsync(
            database =>
            {
                var transaction = database.CreateTransaction();
                _ = open ? transaction.StringSetAsync(key, record, breakDuration) : transaction.KeyDeleteAsync(key);
                _ = transaction.PublishAsync(_channel, message);
                return transaction.ExecuteAsync();
            },
            RedisDefaults.PublishOperation).ConfigureAwait(false);
    }

    /// <summary>Reads every lane's key (after an outage: the openings missed meanwhile).</summary>
    private async Task ReadAllAsync()
    {
        await ReadAsync(BackendLane.Local).ConfigureAwait(false);
        await ReadAsync(BackendLane.Cloud).ConfigureAwait(false);
    }

    /// <summary>Reads a lane's key: an opening of another replica whose break is not over is followed for the time left.</summary>
    private async Task ReadAsync(BackendLane lane)
    {
        var (answered, value) = await _connection.RunAsync(
            database => database.StringGetWithExpiryAsync(Key(lane)), RedisDefaults.ReadOperation).ConfigureAwait(false);
        if (answered && !value.Value.IsNullOrEmpty && value.Expiry is { } left && left > TimeSpan.Zero
            && value.Value.ToString().Split('|') is [var replica, _] && replica != _connection.ReplicaId)
        {
            Follow(lane, replica, open: true, left);
        }
    }

    private void Received(RedisValue message)
    {
        if (message.ToString().Split('|') is not [var laneName, var open, var breakText, var replica]
            || replica == _connection.ReplicaId
            || !long.TryParse(breakText, NumberStyles.None, CultureInfo.InvariantCulture, out var breakMs))
        {
            return;
        }

        var lane = laneName == "local" ? BackendLane.Local : laneName == "cloud" ? BackendLane.Cloud : (BackendLane?)null;
        if (lane is { } known)
        {
            Follow(known, replica, open == "1", TimeSpan.FromMilliseconds(breakMs));
        }
    }

    private void Follow(BackendLane lane, string replica, bool open, TimeSpan breakDuration)
    {
        Subscription[] subscriptions;
        lock (_gate)
        {
            subscriptions = _subscriptions.TryGetValue(lane, out var list) ? [.. list] : [];
        }

        if (open)
        {
            RedisLog.RemoteOpened(_logger, replica, lane, breakDuration);
            _remoteOpenings.Add(1, new KeyValuePair<string, object?>(RedisDefaults.LaneTag, Name(lane)));
        }
        else
        {
            RedisLog.RemoteClosed(_logger, replica, lane);
        }

        foreach (var subscription in subscriptions)
        {
            if (open)
            {
                subscription.Opened(breakDuration);
            }
            else
            {
                subscription.Closed();
            }
        }
    }

    private sealed class Subscription(RedisCircuitState owner, BackendLane lane, Action<TimeSpan> opened, Action closed) : IDisposable
    {
        public Action<TimeSpan> Opened => opened;

        public Action Closed => closed;

        public void Dispose()
        {
            lock (owner._gate)
            {
                if (owner._subscriptions.TryGetValue(lane, out var list))
                {
                    list.Remove(this);
                }
            }
        }
    }
}
