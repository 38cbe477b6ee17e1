namespace HybridInference.Internal;

/// <summary>One backend call of a request, recorded by the backend when the call ended.</summary>
/// <param name="Backend">The backend called.</param>
/// <param name="Model">The model that answered, as the backend reported it (or as configured); <see langword="null"/> when the call failed.</param>
/// <param name="InputTokens">The input tokens reported (or estimated).</param>
/// <param name="OutputTokens">The output tokens reported (or estimated).</param>
/// <param name="CostUsd">What the call cost, from the price table.</param>
/// <param name="CloudBaseline">What the call's answer would have cost on the cheapest cloud model, and the tokens it was priced on.</param>
/// <param name="Succeeded">Whether the call produced an answer.</param>
internal readonly record struct BackendAttempt(
    BackendInfo Backend, string? Model, long InputTokens, long OutputTokens, double CostUsd, Cost.BaselineCost CloudBaseline, bool Succeeded);

/// <summary>
/// The append-only log of a request's backend calls. Appends may come from two threads at once (the halves of a
/// hedged request), so they take the log's own monitor (no lock object to allocate: the log is private to its
/// request); a request with one call allocates nothing beyond the log itself.
/// </summary>
internal sealed class AttemptLog
{
    private BackendAttempt _first;
    private List<BackendAttempt>? _more;
    private int _count;

    /// <summary>Gets the number of calls recorded.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Gets the backend of the last call recorded, if any.</summary>
    public BackendInfo? LastBackend
    {
        get
        {
            // One call (the usual case) was written before the count that publishes it: no lock needed to read it.
            if (Volatile.Read(ref _count) == 1)
            {
                return _first.Backend;
            }

            lock (this)
            {
                return _count switch
                {
                    0 => null,
                    1 => _first.Backend,
                    _ => _more![^1].Backend,
                };
            }
        }
    }

    /// <summary>Records a finished call.</summary>
    public void Append(in BackendAttempt attempt)
    {
        lock (this)
        {
            if (_count == 0)
            {
                _first = attempt;
            }
            else
            {
                (_more ??= []).Add(attempt);
            }

            Volatile.Write(ref _count, _count + 1);
        }
    }

    /// <summary>Adds up the log: calls, tokens and cost; and finds the call whose answer was returned.</summary>
    /// <param name="winner">The lane whose answer was returned when a hedge decided it; otherwise the last successful call wins.</param>
    public AttemptTotals Fold(BackendLane? winner)
    {
        if (Volatile.Read(ref _count) == 1)
        {
            // One call, published by the count (a later append goes to the list and leaves it as it is): no lock needed.
            var only = _first;
            return new AttemptTotals
            {
                Attempts = 1,
                InputTokens = only.InputTokens,
                OutputTokens = only.OutputTokens,
                CostUsd = only.CostUsd,
                Last = only.Backend,
                Answered = only.Succeeded && (winner is null || only.Backend.Lane == winner) ? only : null,
            };
        }

        lock (this)
        {
            var totals = default(AttemptTotals);
            for (var i = 0; i < _count; i++)
            {
                var attempt = i == 0 ? _first : _more![i - 1];
                totals.InputTokens += attempt.InputTokens;
                totals.OutputTokens += attempt.OutputTokens;
                totals.CostUsd += attempt.CostUsd;
                totals.Last = attempt.Backend;
                if (attempt.Succeeded && (winner is null || attempt.Backend.Lane == winner))
                {
                    totals.Answered = attempt;
                }
            }

            totals.Attempts = _count;
            return totals;
        }
    }
}

/// <summary>A request's attempt log added up.</summary>
internal struct AttemptTotals
{
    /// <summary>The number of calls.</summary>
    public int Attempts;

    /// <summary>The input tokens of every call.</summary>
    public long InputTokens;

    /// <summary>The output tokens of every call.</summary>
    public long OutputTokens;

    /// <summary>The cost of every call.</summary>
    public double CostUsd;

    /// <summary>The backend of the last call, answered or not.</summary>
    public BackendInfo? Last;

    /// <summary>The call whose answer was returned, if one was.</summary>
    public BackendAttempt? Answered;
}
