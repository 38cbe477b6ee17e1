using System.Text.Json;
using HybridInference.Errors;
using Microsoft.Extensions.AI;

namespace HybridInference.Refinement;

/// <summary>One pass of the outbox: expire what is too old, then send what waits, in order, while the cloud takes it.</summary>
internal sealed partial class RefinementCoordinator
{
    private static readonly TimeSpan PruneEvery = TimeSpan.FromHours(1);
    private readonly SemaphoreSlim _pass = new(1, 1);
    private DateTimeOffset _lastPrune = DateTimeOffset.MinValue;

    /// <summary>The cloud lane's passed health probes when a send last failed: a pass after it ends the backoff.</summary>
    private long _probePassesAtFailure;

    /// <summary>
    /// Runs one pass: ends as expired (and logs once) every item older than <c>Refinement:Outbox:MaxAge</c> and the
    /// refinements that found the outbox full since the last pass; then, unless the cloud's breaker is open, sends the
    /// waiting items oldest first while the cloud budget has room. A failed send makes the oldest item wait
    /// (<c>RetryDelay</c>, doubling, up to <c>MaxRetryDelay</c>) and the items after it wait with it, so they leave in order.
    /// A health probe of a cloud backend that passes after the last failed send ends that wait: the cloud is back, and
    /// the first refinement goes out at the next pass after the probe (as the breaker's break ends on it), not a
    /// backoff later.
    /// </summary>
    /// <returns>How many items were delivered.</returns>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        await _pass.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ExpireOld();
            return _cloud is { } cloud ? await SendWaitingAsync(cloud, cancellationToken).ConfigureAwait(false) : 0;
        }
        finally
        {
            _pass.Release();
        }
    }

    private void ExpireOld()
    {
        var now = _time.GetUtcNow();
        var expired = _store.ExpireQueuedBefore(now - _options.Outbox.MaxAge, now);
        if (expired.Count > 0)
        {
            Interlocked.Add(ref _waiting, -expired.Count);
            Interlocked.Add(ref _expired, expired.Count);
            RefinementLog.ExpiredByAge(_logger, expired.Count, _options.Outbox.MaxAge);
            foreach (var item in expired)
            {
                _expiredCounter.Add(1, KindTag(item), new KeyValuePair<string, object?>(Telemetry.HybridInferenceTelemetry.ReasonTag, "age"));
                Tell(Ending(item, RefinementStatus.Expired, $"It waited longer than Refinement:Outbox:MaxAge ({_options.Outbox.MaxAge}).", response: null));
            }
        }

        if (Interlocked.Exchange(ref _fullSinceLog, 0) is > 0 and var full)
        {
            RefinementLog.ExpiredByCapacity(_logger, full, _options.Outbox.Capacity);
        }

        if (now - _lastPrune >= PruneEvery)
        {
            _store.PruneEndedBefore(now - _retention);
            _lastPrune = now;
        }
    }

    private async Task<int> SendWaitingAsync(Cloud cloud, CancellationToken cancellationToken)
    {
        var delivered = 0;
        foreach (var item in _store.ReadWaiting(RefinementDefaults.BatchSize))
        {
            var now = _time.GetUtcNow();
            var probedSinceFailure = cloud.Circuit is { } circuit && circuit.ProbePasses > Interlocked.Read(ref _probePassesAtFailure);
            if ((item.NextAttemptAt > now && !probedSinceFailure) || cloud.Circuit is { IsRejecting: true } || cloud.Budget?.HasRoomNow(1) == false)
            {
                break; // Waiting out its backoff, the breaker or the budget; the items after it wait too.
            }

            ChatResponse response;
            try
            {
                var messages = JsonSerializer.Deserialize(item.Messages, MessagesJson) ?? throw new JsonException("The stored conversation is null.");
                var options = item.Kind == OutboxKind.Deferred ? DeferredSettings.Restore(item.Settings) : new ChatOptions();
                response = await cloud.Sender.GetResponseAsync(messages, options.WithTaskCategory(item.Category), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                if (!Refused(item, ex, cancellationToken))
                {
                    break;
                }

                continue;
            }

            var sent = item with { Sends = item.Sends + 1 };
            _store.Finish(item.Id, OutboxEnding.Delivered, sent.Sends, _time.GetUtcNow(), reason: null);
            Interlocked.Decrement(ref _waiting);
            Interlocked.Increment(ref _delivered);
            _deliveredCounter.Add(1, KindTag(item));
            delivered++;
            Tell(Ending(sent, RefinementStatus.Delivered, reason: null, response));
        }

        if (delivered > 0)
        {
            RefinementLog.Delivered(_logger, delivered, Interlocked.Read(ref _waiting));
        }

        return delivered;
    }

    /// <summary>Records a failed send. Returns <see langword="true"/> when the item ended (failed) and the next may go.</summary>
    private bool Refused(OutboxItem item, Exception exception, CancellationToken cancellationToken)
    {
        var ownFault = exception is JsonException || Failures.CountsAgainstOutboxItem(exception, cancellationToken);
        var sent = item with { Sends = item.Sends + 1, Refusals = item.Refusals + (ownFault ? 1 : 0) };
        if (ownFault && sent.Refusals >= _options.Outbox.MaxAttempts)
        {
            var reason = $"The cloud refused it {sent.Refusals} time(s) ({exception.GetType().Name}).";
            _store.Finish(item.Id, OutboxEnding.Failed, sent.Sends, _time.GetUtcNow(), reason);
            Interlocked.Decrement(ref _waiting);
            Interlocked.Increment(ref _failed);
            _failedCounter.Add(1, KindTag(item));
            RefinementLog.ItemFailed(_logger, item.RequestId, sent.Sends, reason);
            Tell(Ending(sent, RefinementStatus.Failed, reason, response: null));
            return true;
        }

        Interlocked.Exchange(ref _probePassesAtFailure, _cloud?.Circuit?.ProbePasses ?? 0);
        var exponent = Math.Min(sent.Sends - 1, 30);
        var delay = TimeSpan.FromTicks((long)Math.Min(_options.Outbox.RetryDelay.Ticks * Math.Pow(2, exponent), _options.Outbox.MaxRetryDelay.Ticks));
        _store.Reschedule(item.Id, sent.Sends, sent.Refusals, _time.GetUtcNow() + delay);
        _retriesCounter.Add(1, KindTag(item));
        RefinementLog.SendFailed(_logger, exception.GetType().Name, delay);
        return false;
    }
}
