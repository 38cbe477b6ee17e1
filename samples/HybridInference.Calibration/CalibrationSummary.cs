namespace HybridInference.Calibration;

/// <summary>A suggested value for one setting, with the reasoning from what the run saw.</summary>
internal sealed record Suggestion(string Key, string Current, string Suggested, string Why);

/// <summary>What the calibration run adds up to: dispatch, escalations, latency, cost, quality, suggested settings.</summary>
internal sealed class CalibrationSummary
{
    /// <summary>Prompt-size buckets (estimated tokens) for the context-limit suggestion.</summary>
    private static readonly int[] SizeBuckets = [256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072];

    public CalibrationSummary(IReadOnlyList<CalibrationResult> results, HybridInferenceOptions options)
    {
        Results = results;
        Total = results.Count;
        Failed = results.Count(r => r.Failed);
        Local = results.Count(r => !r.Failed && r.Outcome?.Target == BackendLane.Local);
        Cloud = results.Count(r => !r.Failed && r.Outcome?.Target == BackendLane.Cloud);
        Escalations = results.Where(r => !r.Failed && r.Outcome is { EscalationReason: not EscalationReason.None })
            .GroupBy(r => r.Outcome!.EscalationReason).OrderByDescending(g => g.Count()).ToDictionary(g => g.Key, g => g.Count());
        LatencyMs = Enum.GetValues<BackendLane>().ToDictionary(
            lane => lane,
            lane => results.Where(r => !r.Failed && r.Outcome?.Target == lane).Select(r => r.Outcome!.Duration.TotalMilliseconds).Order().ToArray());
        CostUsd = results.Sum(r => r.Outcome?.CostUsd ?? 0);
        BaselineUsd = results.Sum(r => r.Outcome?.CloudBaselineCostUsd ?? 0);
        ValidationFailures = results.Sum(r => r.Outcome?.ValidationFailures ?? 0);
        Expected = results.Count(r => r.Prompt.Expected is not null);
        Matched = Enum.GetValues<BackendLane>().ToDictionary(
            lane => lane,
            lane => (Matched: results.Count(r => r.Matched == true && r.Outcome?.Target == lane), Checked: results.Count(r => r.Matched is not null && r.Outcome?.Target == lane)));
        Suggestions = [SuggestContextLimit(options), SuggestEscalationThreshold(options)];
    }

    public IReadOnlyList<CalibrationResult> Results { get; }

    public int Total { get; }

    public int Failed { get; }

    public int Local { get; }

    public int Cloud { get; }

    public IReadOnlyDictionary<EscalationReason, int> Escalations { get; }

    public IReadOnlyDictionary<BackendLane, double[]> LatencyMs { get; }

    public double CostUsd { get; }

    public double BaselineUsd { get; }

    public double SavedUsd => BaselineUsd - CostUsd;

    public double SavedFraction => BaselineUsd == 0 ? 0 : SavedUsd / BaselineUsd;

    public int ValidationFailures { get; }

    public int Expected { get; }

    public IReadOnlyDictionary<BackendLane, (int Matched, int Checked)> Matched { get; }

    public IReadOnlyList<Suggestion> Suggestions { get; }

    /// <summary>Nearest-rank percentile of sorted values; 0 for none.</summary>
    public static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    /// <summary>
    /// The local context limit: the prompt size up to which local answers held up. Each size bucket of requests the
    /// router kept local is scored by the share answered locally without error or invalid output; the limit should
    /// not reach into a bucket below 95%. Raising it is suggested only when many requests went to the cloud for their
    /// size alone and every local window has room, and then as something to try, since the run has no local evidence
    /// above the current limit.
    /// </summary>
    private Suggestion SuggestContextLimit(HybridInferenceOptions options)
    {
        // Unset, the limit is what the local windows allow (the largest configured one here; the servers' reports are not seen), else 4096.
        var current = options.Routing.LocalContextLimit ?? options.Local.Backends.Max(b => b.ContextWindow) ?? 4096;
        var localRouted = Results.Where(r => r.Outcome is { Decision: not RouteTarget.Cloud }).ToList();
        var smallestWindow = options.Local.Backends.Select(b => b.ContextWindow).OfType<int>().DefaultIfEmpty(int.MaxValue).Min();

        // A bucket is judged against the local failure rate over all sizes: a few random failures are noise, a
        // bucket failing at least three times and at twice the usual rate (and over 5%) is a size local cannot take.
        var usualRate = localRouted.Count == 0 ? 0 : localRouted.Count(FailedLocally) / (double)localRouted.Count;
        var lastGood = 0;
        foreach (var bound in SizeBuckets.Where(b => b <= current * 2))
        {
            var lower = bound / 2;
            var bucket = localRouted.Where(r => r.Outcome!.EstimatedPromptTokens > (lower == 128 ? 0 : lower) && r.Outcome!.EstimatedPromptTokens <= bound).ToList();
            if (bucket.Count < 10)
            {
                continue; // too few to judge
            }

            var failures = bucket.Count(FailedLocally);
            var rate = failures / (double)bucket.Count;
            if (failures >= 3 && rate > Math.Max(0.05, 2 * usualRate))
            {
                // The limit goes down to where the failing sizes start; the sizes below held up or were not seen.
                var suggested = Math.Max(lower, 256);
                return new Suggestion("Routing:LocalContextLimit", current.ToString(), suggested.ToString(),
                    $"local answers failed for {rate:P0} of {bucket.Count} prompts of {lower + 1}-{bound} tokens against {usualRate:P0} overall{(lastGood == 0 ? string.Empty : $"; prompts up to {lastGood} tokens held up")}; keep prompts over {suggested} tokens in the cloud");
            }

            lastGood = bound;
        }

        var sizeEscalations = Escalations.GetValueOrDefault(EscalationReason.ContextLimit);
        var room = smallestWindow == int.MaxValue ? int.MaxValue : smallestWindow - 1024;
        if (sizeEscalations >= Total * 0.05 && room > current)
        {
            var tryLimit = Math.Min(room, current * 2);
            return new Suggestion("Routing:LocalContextLimit", current.ToString(), tryLimit.ToString(),
                $"{sizeEscalations} prompts ({(double)sizeEscalations / Total:P0}) went to the cloud for their size alone and the local windows have room; try {tryLimit} and calibrate again (no local evidence above {current} yet)");
        }

        return new Suggestion("Routing:LocalContextLimit", current.ToString(), current.ToString(),
            lastGood == 0 ? "too few local prompts of any size to judge; keep it" : $"local answers held up in every size bucket up to {Math.Min(lastGood, current)} tokens; keep it");
    }

    /// <summary>
    /// The breaker's threshold: far enough above the local failure rate seen in normal running that ordinary noise does
    /// not trip it (twice the rate, and at least five points above it), within 5%-50%.
    /// </summary>
    private Suggestion SuggestEscalationThreshold(HybridInferenceOptions options)
    {
        var current = options.Routing.EscalationThreshold;
        var localRouted = Results.Count(r => r.Outcome is { Decision: not RouteTarget.Cloud });
        if (localRouted < 20)
        {
            return new Suggestion("Routing:EscalationThreshold", Format(current), Format(current), $"only {localRouted} requests were routed locally; too few to judge");
        }

        var failedLocally = Results.Count(r => r.Outcome is { Decision: not RouteTarget.Cloud } && FailedLocally(r));
        var rate = (double)failedLocally / localRouted;
        var sound = Math.Round(Math.Clamp(Math.Max(rate * 2, rate + 0.05), 0.05, 0.5), 2);
        var (suggested, verdict) = current < rate * 1.5 ? (sound, "the current threshold is close to that normal rate, so the breaker would trip on noise")
            : current > sound + 0.1 ? (sound, "the current threshold is far above it, so the breaker would react late to a real outage")
            : (current, $"the current threshold is in a sound range (twice the normal rate and at least 5 points above it is {Format(sound)})");
        return new Suggestion("Routing:EscalationThreshold", Format(current), Format(suggested),
            $"{failedLocally} of {localRouted} locally routed requests ({rate:P1}) failed or gave invalid output locally; {verdict}");
    }

    /// <summary>Whether a locally routed request failed there: an error or invalid output sent it to the cloud, or it failed outright.</summary>
    private static bool FailedLocally(CalibrationResult result) =>
        result.Outcome is { } o && (o.EscalationReason is EscalationReason.LocalError or EscalationReason.ValidationFailed or EscalationReason.CircuitOpen
            || (result.Failed && o.Target == BackendLane.Local));

    private static string Format(double value) => value.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture);
}
