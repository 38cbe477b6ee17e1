using System.Globalization;
using System.Text;

namespace HybridInference.Demo;

/// <summary>One finished task of the batch.</summary>
internal sealed record TaskResult(DemoTask Task, RouteOutcome? Outcome, Exception? Error, TimeSpan Elapsed);

/// <summary>Prints what the batch did: dispatch split, validations and escalations, breaker trips, latency, cost.</summary>
internal static class Report
{
    public static string Render(IReadOnlyList<TaskResult> results, int breakerTrips, IReadOnlyDictionary<string, long> counters, HybridInferenceStatus status, TimeSpan wallClock)
    {
        var ok = results.Where(r => r.Outcome is not null).ToList();
        var sb = new StringBuilder();
        var c = CultureInfo.InvariantCulture;

        sb.AppendLine(c, $"Requests: {results.Count} in {wallClock.TotalSeconds:F1} s; answered {ok.Count}, failed {results.Count - ok.Count}");
        sb.AppendLine();
        sb.AppendLine("Dispatch split (where the answer came from)");
        sb.AppendLine("  kind               local   cloud  failed");
        foreach (var group in results.GroupBy(r => r.Task.Kind).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var local = group.Count(r => r.Outcome?.Target == BackendLane.Local);
            var cloud = group.Count(r => r.Outcome?.Target == BackendLane.Cloud);
            sb.AppendLine(c, $"  {group.Key,-16} {local,7} {cloud,7} {group.Count(r => r.Outcome is null),7}");
        }

        var localShare = ok.Count == 0 ? 0 : 100.0 * ok.Count(r => r.Outcome!.Target == BackendLane.Local) / ok.Count;
        sb.AppendLine(c, $"  local share: {localShare:F1}%");
        sb.AppendLine();

        sb.AppendLine("Backends by kind (Local:Backends:N:Capabilities and Quantization choose the local model)");
        foreach (var group in ok.GroupBy(r => r.Task.Kind).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var backends = group.GroupBy(r => r.Outcome!.Backend).OrderByDescending(b => b.Count()).Select(b => $"{b.Key} {b.Count()}");
            sb.AppendLine(c, $"  {group.Key,-16} {string.Join(", ", backends)}");
        }

        sb.AppendLine();
        sb.AppendLine("Validation and escalation");
        sb.AppendLine(c, $"  local JSON answers that failed validation: {ok.Sum(r => r.Outcome!.ValidationFailures)}");
        foreach (var (name, count) in counters.Where(k => k.Key.StartsWith("hybrid_inference.validation_failures:", StringComparison.Ordinal)).OrderBy(k => k.Key, StringComparer.Ordinal))
        {
            sb.AppendLine(c, $"    reason {name[(name.IndexOf(':', StringComparison.Ordinal) + 1)..]}: {count}");
        }

        sb.AppendLine(c, $"  JSON taken out of a code fence or prose: {counters.GetValueOrDefault("hybrid_inference.json_extractions")}");
        sb.AppendLine(c, $"  backend attempts: {ok.Sum(r => r.Outcome!.Attempts)} for {ok.Count} answers");
        foreach (var reason in ok.Where(r => r.Outcome!.Escalated).GroupBy(r => r.Outcome!.EscalationReason).OrderByDescending(g => g.Count()))
        {
            sb.AppendLine(c, $"  escalated, {reason.Key}: {reason.Count()}");
        }

        sb.AppendLine(c, $"  circuit breaker trips: {breakerTrips}");
        foreach (var failure in results.Where(r => r.Error is not null).GroupBy(r => r.Error!.GetType().Name))
        {
            sb.AppendLine(c, $"  failed with {failure.Key}: {failure.Count()} ({failure.First().Task.Kind})");
        }

        sb.AppendLine();
        sb.AppendLine("History fitting (Local:History; conversations over the local limit)");
        foreach (var kind in ok.Where(r => r.Outcome!.History is not null).GroupBy(r => r.Task.Kind).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var fitted = kind.Where(r => r.Outcome!.History!.Fitted).ToList();
            var reductions = fitted.Select(r => r.Outcome!.History!).ToList();
            sb.AppendLine(c, $"  {kind.Key}: {kind.Count()} over the local limit; fitted {fitted.Count} (answered locally {fitted.Count(r => r.Outcome!.Target == BackendLane.Local)}, "
                + $"by the cloud {fitted.Count(r => r.Outcome!.Target == BackendLane.Cloud)} for another reason: {string.Join(", ", fitted.Where(r => r.Outcome!.Target == BackendLane.Cloud).Select(r => r.Outcome!.EscalationReason).Distinct())}); "
                + $"not fitted, its last turn alone too long: {kind.Count() - fitted.Count} (to the cloud)");
            if (reductions.Count > 0)
            {
                sb.AppendLine(c, $"    messages {reductions.Average(h => h.MessagesBefore):F0} -> {reductions.Average(h => h.MessagesAfter):F0}, prompt tokens {reductions.Average(h => h.PromptTokensBefore):F0} -> {reductions.Average(h => h.PromptTokensAfter):F0} (averages); "
                    + $"summaries written {reductions.Count(h => h.Summarized && !h.SummaryFromCache)}, from the cache {reductions.Count(h => h.SummaryFromCache)}, trimmed only {reductions.Count(h => !h.Summarized)}; "
                    + $"summarizing calls {reductions.Sum(h => h.SummaryCalls)} ({reductions.Sum(h => h.SummaryInputTokens + h.SummaryOutputTokens)} tokens, ${reductions.Sum(h => h.SummaryCostUsd):F4})");
            }
        }

        AgentLoops(sb, ok, c);

        sb.AppendLine();
        sb.AppendLine("Latency by route (ms)     p50     p95     p99");
        foreach (var lane in new[] { BackendLane.Local, BackendLane.Cloud })
        {
            var durations = ok.Where(r => r.Outcome!.Target == lane).Select(r => r.Outcome!.Duration.TotalMilliseconds).Order().ToArray();
            if (durations.Length > 0)
            {
                sb.AppendLine(c, $"  {lane,-20} {Percentile(durations, 0.50),7:F0} {Percentile(durations, 0.95),7:F0} {Percentile(durations, 0.99),7:F0}");
            }
        }

        sb.AppendLine();
        sb.AppendLine(c, $"Backends at the end (IHybridInferenceStatus; local circuit {status.LocalCircuit}, cloud circuit {status.CloudCircuit})");
        sb.AppendLine(c, $"  local failures counted by the breaker: {string.Join(", ", status.LocalCircuitFailures.Where(f => f.Value > 0).Select(f => $"{f.Key} {f.Value}"))}");
        sb.AppendLine("  backend        lane    health      calls  success  ewma ms   p95 ms  last error");
        foreach (var backend in status.Backends)
        {
            sb.AppendLine(c, $"  {backend.Name,-14} {backend.Lane,-7} {backend.Health,-10} {backend.Calls,6} {backend.SuccessRate * 100,7:F1}% {backend.LatencyEwma?.TotalMilliseconds,8:F0} {backend.LatencyP95?.TotalMilliseconds,8:F0}  {backend.LastError ?? "-"}");
        }

        var cost = ok.Sum(r => r.Outcome!.CostUsd);
        var baseline = ok.Sum(r => r.Outcome!.CloudBaselineCostUsd);
        sb.AppendLine();
        sb.AppendLine("Cost");
        sb.AppendLine(c, $"  hybrid:                 ${cost:F4}  (${1000 * cost / Math.Max(1, ok.Count):F3} per 1,000 tasks)");
        sb.AppendLine(c, $"  all-cloud baseline:     ${baseline:F4}  (${1000 * baseline / Math.Max(1, ok.Count):F3} per 1,000 tasks)");
        sb.AppendLine(c, $"  saved:                  ${baseline - cost:F4}  ({(baseline == 0 ? 0 : 100 * (baseline - cost) / baseline):F1}%)");
        return sb.ToString();
    }

    /// <summary>Where each turn of each agent loop went (ToolLoops keeps a loop on its backend; a failure moves the rest of it).</summary>
    private static void AgentLoops(StringBuilder sb, List<TaskResult> ok, CultureInfo c)
    {
        var loops = ok.Where(r => r.Outcome!.Turns.Count > 1).ToList();
        if (loops.Count == 0)
        {
            return;
        }

        sb.AppendLine();
        sb.AppendLine(c, $"Agent loops (ToolLoops; FunctionInvokingChatClient, one request per turn): {loops.Count}, {loops.Sum(r => r.Outcome!.Turns.Count)} turns; "
            + $"every turn on one backend: {loops.Count(r => r.Outcome!.Turns.Select(t => t.Backend).Distinct().Count() == 1)}; moved after a failure: {loops.Count(r => r.Outcome!.ToolLoopMovedFrom is not null)}");
        for (var i = 0; i < loops.Count; i++)
        {
            var outcome = loops[i].Outcome!;
            var turns = string.Join(" -> ", outcome.Turns.Select(t => $"{t.Backend} ({t.DecisionReason})"));
            var moved = outcome.ToolLoopMovedFrom is { } from ? $"; moved from {from}" : string.Empty;
            sb.AppendLine(c, $"  loop {i + 1,2}: {turns}{moved}; ${outcome.CostUsd:F4}");
        }
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
}
