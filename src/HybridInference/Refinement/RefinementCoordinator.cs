using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using HybridInference.CircuitBreaker;
using HybridInference.RateLimiting;
using HybridInference.Telemetry;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HybridInference.Refinement;

/// <summary>
/// Owns "local first pass, cloud refinement": queues the refinement of a local draft in the outbox before the draft is
/// returned, hands out its <see cref="RefinementHandle"/>, sends what waits when the cloud is reachable
/// (<see cref="RunOnceAsync"/>, called by <see cref="OutboxWorker"/>), and tells the handle and every
/// <see cref="IRefinementListener"/> how each ended. Counts every ending in metrics and the status.
/// </summary>
/// <remarks>
/// Thread-safe: requests queue concurrently; one pass sends at a time. LocalOnly work is never written to the outbox.
/// A refinement is sent at least once; exactly once unless the process stops between the cloud's answer and the write
/// that marks it delivered. One process drains a SQLite outbox at a time.
/// </remarks>
internal sealed partial class RefinementCoordinator
{
    private static readonly JsonTypeInfo<IList<ChatMessage>> MessagesJson =
        (JsonTypeInfo<IList<ChatMessage>>)AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(IList<ChatMessage>));

    private readonly IOutboxStore _store;
    private readonly RefinementOptions _options;
    private readonly TimeSpan _retention;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly IServiceProvider? _services;
    private readonly bool[] _defaults = new bool[3];
    private readonly bool[] _deferrableDefaults = new bool[3];
    private readonly ConcurrentDictionary<string, TaskCompletionSource<RefinementOutcome>> _handles = new(StringComparer.Ordinal);
    private readonly Counter<long> _queuedCounter;
    private readonly Counter<long> _deliveredCounter;
    private readonly Counter<long> _expiredCounter;
    private readonly Counter<long> _failedCounter;
    private readonly Counter<long> _retriesCounter;
    private readonly Counter<long> _notSentCounter;
    private IRefinementListener[]? _listeners;
    private volatile Cloud? _cloud;
    private long _waiting;
    private long _delivered;
    private long _expired;
    private long _failed;
    private long _fullSinceLog;

    public RefinementCoordinator(
        IOutboxStore store, RefinementOptions options, int retentionDays, TimeProvider time, ILogger logger, IMeterFactory meterFactory, IServiceProvider? services = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(meterFactory);
        _store = store;
        _options = options;
        _retention = TimeSpan.FromDays(retentionDays);
        _time = time;
        _logger = logger;
        _services = services;
        foreach (var category in options.DeferrableCategories)
        {
            if ((uint)category < (uint)_deferrableDefaults.Length)
            {
                _deferrableDefaults[(int)category] = true;
            }
        }

        foreach (var category in options.Categories)
        {
            if ((uint)category < (uint)_defaults.Length)
            {
                _defaults[(int)category] = true;
                HasCategoryDefaults = true;
            }
        }

        _waiting = store.Waiting().Count;
        var meter = meterFactory.Create(HybridInferenceTelemetry.MeterName);
        const string unit = HybridInferenceTelemetry.UnitItems;
        _queuedCounter = meter.CreateCounter<long>(HybridInferenceTelemetry.OutboxQueued, unit, "Refinements written to the outbox to wait for the cloud.");
        _deliveredCounter = meter.CreateCounter<long>(HybridInferenceTelemetry.OutboxDelivered, unit, "Outbox items the cloud answered.");
        _expiredCounter = meter.CreateCounter<long>(HybridInferenceTelemetry.OutboxExpired, unit, "Outbox items ended unsent, by reason: age (older than Refinement:Outbox:MaxAge) or capacity (the outbox was full).");
        _failedCounter = meter.CreateCounter<long>(HybridInferenceTelemetry.OutboxFailed, unit, "Outbox items the cloud refused Refinement:Outbox:MaxAttempts times for a reason of their own.");
        _retriesCounter = meter.CreateCounter<long>(HybridInferenceTelemetry.OutboxRetries, unit, "Sends of outbox items that failed and wait to be sent again.");
        _notSentCounter = meter.CreateCounter<long>(HybridInferenceTelemetry.RefinementsNotSent, unit, "Refinements asked for but never queued, by reason: local_only (the data stays here) or not_needed (the answer came from the cloud).");
        meter.CreateObservableGauge(HybridInferenceTelemetry.OutboxPending, () => Interlocked.Read(ref _waiting), unit, "Outbox items waiting for the cloud.");
    }

    /// <summary>Gets a value indicating whether some category is refined by default (<c>Refinement:Categories</c>).</summary>
    public bool HasCategoryDefaults { get; }

    /// <summary>Gets a value indicating whether the chain has a cloud lane to send refinements to (<see cref="Attach"/> was called).</summary>
    public bool CanSend => _cloud is not null;

    /// <summary>Gets a value indicating whether the outbox survives the process.</summary>
    public bool Durable => _store.Durable;

    /// <summary>Tells whether requests of <paramref name="category"/> are refined when they do not say.</summary>
    public bool IsDefault(TaskCategory category) => (uint)category < (uint)_defaults.Length && _defaults[(int)category];

    /// <summary>Gives the coordinator the chain that sends refinements (cloud only), and the cloud lane's breaker and budget it reads.</summary>
    public void Attach(IChatClient sender, LaneCircuit? cloudCircuit, CloudRateLimiter? cloudBudget) =>
        _cloud = new Cloud(sender, cloudCircuit, cloudBudget);

    /// <summary>
    /// Queues the refinement of a draft, durably when the store is: returns once it is written. LocalOnly data and
    /// answers that came from the cloud are not queued; their handle is already complete.
    /// </summary>
    /// <param name="prompt">The request's messages.</param>
    /// <param name="draft">The answer's text.</param>
    /// <param name="outcome">The answer's outcome (lane, category, data policy, cost).</param>
    public RefinementHandle Queue(IEnumerable<ChatMessage> prompt, string draft, RouteOutcome outcome)
    {
        var requestId = Guid.NewGuid().ToString("N");
        var now = _time.GetUtcNow();
        var item = new OutboxItem(0, requestId, outcome.Category, now, draft, outcome.CostUsd, string.Empty, 0, 0, now);

        // A data policy the chain could not tell (never on an answered request) is treated as LocalOnly.
        if (outcome.DataPolicy is not DataPolicy.Any)
        {
            _notSentCounter.Add(1, new KeyValuePair<string, object?>(HybridInferenceTelemetry.ReasonTag, "local_only"));
            return Completed(item, RefinementStatus.LocalOnly, "The request's data is LocalOnly: it never leaves the machine, so it is not refined in the cloud nor written to the outbox.");
        }

        if (outcome.Target == BackendLane.Cloud)
        {
            _notSentCounter.Add(1, new KeyValuePair<string, object?>(HybridInferenceTelemetry.ReasonTag, "not_needed"));
            return Completed(item, RefinementStatus.NotNeeded, "The answer came from the cloud: there is no local draft to refine.");
        }

        List<ChatMessage> conversation = [.. prompt, new ChatMessage(ChatRole.Assistant, draft), new ChatMessage(ChatRole.User, _options.Instruction)];
        return Add(item with { Messages = JsonSerializer.Serialize(conversation, MessagesJson) });
    }

    /// <summary>Writes an item to the outbox; when it cannot be written (the outbox full, the store failing) its handle is complete and its ending told.</summary>
    private RefinementHandle Add(OutboxItem item)
    {
        var completion = new TaskCompletionSource<RefinementOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        _handles[item.RequestId] = completion;
        long? id;
        try
        {
            id = _store.TryAdd(item, _options.Outbox.Capacity);
        }
        catch (Exception ex)
        {
            _handles.TryRemove(item.RequestId, out _);
            RefinementLog.QueueFailed(_logger, item.RequestId, ex.GetType().Name);
            Interlocked.Increment(ref _failed);
            _failedCounter.Add(1, KindTag(item));
            return Completed(item, RefinementStatus.Failed, "The item could not be written to the outbox.");
        }

        if (id is null)
        {
            _handles.TryRemove(item.RequestId, out _);
            Interlocked.Increment(ref _fullSinceLog);
            Interlocked.Increment(ref _expired);
            _expiredCounter.Add(1, KindTag(item), new KeyValuePair<string, object?>(HybridInferenceTelemetry.ReasonTag, "capacity"));
            return Completed(item, RefinementStatus.Expired, $"The outbox was full (Refinement:Outbox:Capacity {_options.Outbox.Capacity}).");
        }

        Interlocked.Increment(ref _waiting);
        _queuedCounter.Add(1, KindTag(item));
        return new RefinementHandle(item.RequestId, completion.Task);
    }

    /// <summary>The metric tag that tells the outbox's two kinds of work apart: <c>refinement</c> or <c>deferred</c>.</summary>
    private static KeyValuePair<string, object?> KindTag(OutboxItem item) =>
        new(HybridInferenceTelemetry.KindTag, item.Kind == OutboxKind.Deferred ? "deferred" : "refinement");

    /// <summary>Takes a snapshot of the outbox for the status.</summary>
    public OutboxStatus Snapshot()
    {
        var (count, oldest) = _store.Waiting();
        return new OutboxStatus
        {
            Durable = _store.Durable,
            Waiting = count,
            OldestQueuedAt = oldest,
            Delivered = Interlocked.Read(ref _delivered),
            Expired = Interlocked.Read(ref _expired),
            Failed = Interlocked.Read(ref _failed),
        };
    }

    private RefinementHandle Completed(OutboxItem item, RefinementStatus status, string reason)
    {
        var outcome = Ending(item, status, reason, response: null);
        Tell(outcome);
        return new RefinementHandle(item.RequestId, Task.FromResult(outcome));
    }

    private RefinementOutcome Ending(OutboxItem item, RefinementStatus status, string? reason, ChatResponse? response) => new()
    {
        RequestId = item.RequestId,
        Status = status,
        Category = item.Category,
        Draft = item.Draft,
        DraftCostUsd = item.DraftCostUsd,
        Response = response,
        Refinement = response?.GetRouteOutcome(),
        Sends = item.Sends,
        Deferred = item.Kind == OutboxKind.Deferred,
        Reason = reason,
        QueuedAt = item.QueuedAt,
        FinishedAt = _time.GetUtcNow(),
    };

    /// <summary>Completes the item's handle (when this process queued it) and tells every listener.</summary>
    private void Tell(RefinementOutcome outcome)
    {
        if (_handles.TryRemove(outcome.RequestId, out var completion))
        {
            completion.TrySetResult(outcome);
        }

        foreach (var listener in _listeners ??= _services?.GetServices<IRefinementListener>().ToArray() ?? [])
        {
            try
            {
                listener.OnRefinementFinished(outcome);
            }
            catch (Exception ex)
            {
                RefinementLog.ListenerFailed(_logger, listener.GetType().Name, ex.GetType().Name);
            }
        }
    }

    private sealed record Cloud(IChatClient Sender, LaneCircuit? Circuit, CloudRateLimiter? Budget);
}
