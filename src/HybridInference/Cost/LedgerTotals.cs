namespace HybridInference.Cost;

/// <summary>
/// The sums a ledger's database computes over a time range, turned into a <see cref="CostLedgerSummary"/> the same way
/// for every database.
/// </summary>
/// <param name="Requests">Requests recorded in the range.</param>
/// <param name="Failed">Those that ended in an exception.</param>
/// <param name="CostUsd">Their cost (numbers written as NULL left out).</param>
/// <param name="CloudBaselineCostUsd">Their all-cloud baseline (as above).</param>
/// <param name="Local">Those answered by a local backend.</param>
/// <param name="Escalated">Those that went to the cloud for any reason.</param>
internal readonly record struct LedgerTotals(long Requests, long Failed, double CostUsd, double CloudBaselineCostUsd, long Local, long Escalated)
{
    /// <summary>Builds the summary from these totals, the count of each escalation reason, and the latency per lane.</summary>
    public CostLedgerSummary ToSummary(
        DateTimeOffset from, DateTimeOffset to, IEnumerable<(string Reason, long Count)> escalations, Dictionary<BackendLane, LatencyPercentiles> latency)
    {
        ArgumentNullException.ThrowIfNull(escalations);
        var byReason = new Dictionary<EscalationReason, double>();
        foreach (var (name, count) in escalations)
        {
            // A reason written by a newer version that this one does not know is left out rather than guessed.
            if (Enum.TryParse<EscalationReason>(name, out var reason))
            {
                byReason[reason] = (double)count / Requests;
            }
        }

        return new CostLedgerSummary
        {
            From = from,
            To = to,
            Requests = Requests,
            Failed = Failed,
            CostUsd = CostUsd,
            CloudBaselineCostUsd = CloudBaselineCostUsd,
            LocalShare = Requests == 0 ? 0 : (double)Local / Requests,
            EscalationRate = Requests == 0 ? 0 : (double)Escalated / Requests,
            EscalationRateByReason = byReason,
            LatencyByRoute = latency,
        };
    }
}
