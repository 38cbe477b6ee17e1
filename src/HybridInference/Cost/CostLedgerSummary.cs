namespace HybridInference;

/// <summary>What the requests of a time range add up to, from the cost ledger.</summary>
public sealed record CostLedgerSummary
{
    /// <summary>Gets the start of the range, inclusive.</summary>
    public required DateTimeOffset From { get; init; }

    /// <summary>Gets the end of the range, exclusive.</summary>
    public required DateTimeOffset To { get; init; }

    /// <summary>Gets the number of requests recorded in the range, failed ones included.</summary>
    public required long Requests { get; init; }

    /// <summary>Gets the number of those requests that ended in an exception.</summary>
    public required long Failed { get; init; }

    /// <summary>Gets what the requests cost, in US dollars.</summary>
    public required double CostUsd { get; init; }

    /// <summary>Gets what the same answers would have cost on the cheapest cloud model: the all-cloud counterfactual recorded per task.</summary>
    public required double CloudBaselineCostUsd { get; init; }

    /// <summary>Gets the cost per 1,000 requests, in US dollars (0 without requests).</summary>
    public double CostPer1000Tasks => Requests == 0 ? 0 : CostUsd * 1000 / Requests;

    /// <summary>Gets the all-cloud baseline per 1,000 requests, in US dollars (0 without requests).</summary>
    public double CloudBaselinePer1000Tasks => Requests == 0 ? 0 : CloudBaselineCostUsd * 1000 / Requests;

    /// <summary>Gets what routing saved against the all-cloud baseline, in US dollars (negative when it cost more).</summary>
    public double SavedUsd => CloudBaselineCostUsd - CostUsd;

    /// <summary>Gets the share of the baseline that was saved (0 when the baseline is 0).</summary>
    public double SavedFraction => CloudBaselineCostUsd == 0 ? 0 : SavedUsd / CloudBaselineCostUsd;

    /// <summary>Gets the share of requests answered by a local backend.</summary>
    public required double LocalShare { get; init; }

    /// <summary>Gets the share of requests that went to the cloud for any reason.</summary>
    public required double EscalationRate { get; init; }

    /// <summary>Gets the share of requests that went to the cloud, by reason (reasons that did not occur are absent).</summary>
    public required IReadOnlyDictionary<EscalationReason, double> EscalationRateByReason { get; init; }

    /// <summary>Gets the latency percentiles of answered requests, by the lane that answered (lanes without requests are absent).</summary>
    public required IReadOnlyDictionary<BackendLane, LatencyPercentiles> LatencyByRoute { get; init; }
}
