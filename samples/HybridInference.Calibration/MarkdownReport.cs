using System.Globalization;
using System.Text;

namespace HybridInference.Calibration;

/// <summary>The report as Markdown: printed on the terminal and written next to the HTML page.</summary>
internal static class MarkdownReport
{
    public static string Render(CalibrationSummary summary, string source)
    {
        var c = CultureInfo.InvariantCulture;
        var md = new StringBuilder();
        md.AppendLine("# Calibration report").AppendLine();
        md.AppendLine(c, $"{summary.Total} prompts from {source}.").AppendLine();

        md.AppendLine("## Dispatch").AppendLine();
        md.AppendLine("| answered by | requests | share |").AppendLine("|---|---:|---:|");
        foreach (var (name, count) in new[] { ("local", summary.Local), ("cloud", summary.Cloud), ("failed", summary.Failed) })
        {
            md.AppendLine(c, $"| {name} | {count} | {Share(count, summary.Total)} |");
        }

        md.AppendLine().AppendLine("## Escalations by reason").AppendLine();
        if (summary.Escalations.Count == 0)
        {
            md.AppendLine("None: every answer came from a local backend.");
        }
        else
        {
            md.AppendLine("| reason | requests | share of all |").AppendLine("|---|---:|---:|");
            foreach (var (reason, count) in summary.Escalations)
            {
                md.AppendLine(c, $"| {reason} | {count} | {Share(count, summary.Total)} |");
            }
        }

        md.AppendLine().AppendLine("## Latency by route (ms)").AppendLine();
        md.AppendLine("| route | requests | p50 | p95 | p99 | max |").AppendLine("|---|---:|---:|---:|---:|---:|");
        foreach (var (lane, values) in summary.LatencyMs)
        {
            md.AppendLine(c, $"| {lane.ToString().ToLowerInvariant()} | {values.Length} | {Ms(CalibrationSummary.Percentile(values, 0.5))} | {Ms(CalibrationSummary.Percentile(values, 0.95))} | {Ms(CalibrationSummary.Percentile(values, 0.99))} | {Ms(values.Length == 0 ? 0 : values[^1])} |");
        }

        md.AppendLine().AppendLine("## Cost against the all-cloud baseline").AppendLine();
        md.AppendLine(c, $"- hybrid: ${summary.CostUsd:F4} (${Per1000(summary.CostUsd, summary.Total)} per 1,000 tasks)");
        md.AppendLine(c, $"- all-cloud baseline: ${summary.BaselineUsd:F4} (${Per1000(summary.BaselineUsd, summary.Total)} per 1,000 tasks)");
        md.AppendLine(c, $"- saved: ${summary.SavedUsd:F4} ({summary.SavedFraction:P1})");

        md.AppendLine().AppendLine("## Quality").AppendLine();
        md.AppendLine(c, $"- JSON answers that failed validation (then retried or escalated): {summary.ValidationFailures}");
        if (summary.Expected == 0)
        {
            md.AppendLine("- no prompt had an expected answer");
        }
        else
        {
            foreach (var (lane, (matched, checkedCount)) in summary.Matched)
            {
                md.AppendLine(c, $"- expected answer given by {lane.ToString().ToLowerInvariant()}: {matched} of {checkedCount}");
            }
        }

        md.AppendLine().AppendLine("## Suggested settings").AppendLine();
        md.AppendLine("| key | current | suggested | why |").AppendLine("|---|---:|---:|---|");
        foreach (var suggestion in summary.Suggestions)
        {
            md.AppendLine(c, $"| `{suggestion.Key}` | {suggestion.Current} | {suggestion.Suggested} | {suggestion.Why} |");
        }

        return md.ToString();
    }

    private static string Share(int count, int total) => total == 0 ? "-" : ((double)count / total).ToString("P1", CultureInfo.InvariantCulture);

    private static string Ms(double value) => value.ToString("F0", CultureInfo.InvariantCulture);

    private static string Per1000(double cost, int total) => (total == 0 ? 0 : cost * 1000 / total).ToString("F3", CultureInfo.InvariantCulture);
}
