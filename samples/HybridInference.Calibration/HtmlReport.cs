using System.Globalization;
using System.Net;
using System.Text;

namespace HybridInference.Calibration;

/// <summary>
/// The report as one self-contained HTML page: inline CSS and inline SVG charts, no script, no font, nothing fetched,
/// so it opens anywhere and renders the same in a headless browser.
/// </summary>
internal static class HtmlReport
{
    private const string LocalColour = "#2e7d32";
    private const string CloudColour = "#1565c0";
    private const string FailedColour = "#c62828";

    /// <summary>Latency histogram bucket bounds, in milliseconds.</summary>
    private static readonly double[] LatencyBounds = [25, 50, 100, 200, 400, 800, 1600, 3200];

    public static string Render(CalibrationSummary summary, string source, DateTimeOffset runAt)
    {
        var html = new StringBuilder();
        html.Append("""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <title>HybridInference calibration report</title>
            <style>
              body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 960px; color: #222; }
              h1 { font-size: 1.6rem; } h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
              table { border-collapse: collapse; margin: .5rem 0; } td, th { padding: .25rem .75rem; border-bottom: 1px solid #eee; text-align: left; }
              td.n { text-align: right; font-variant-numeric: tabular-nums; }
              .charts { display: flex; flex-wrap: wrap; gap: 1.5rem; } figure { margin: 0; } figcaption { font-size: .85rem; color: #555; }
              svg text { font-family: system-ui, sans-serif; font-size: 12px; fill: #222; }
            </style>
            </head>
            <body>
            """);
        html.Append("<h1>HybridInference calibration report</h1>\n");
        html.Append(Invariant($"<p>{summary.Total} prompts from <code>{Encode(source)}</code>, run {runAt:yyyy-MM-dd HH:mm} UTC.</p>\n"));

        html.Append("<h2>At a glance</h2>\n<div class=\"charts\">\n");
        html.Append(Figure("Dispatch split", DispatchChart(summary)));
        html.Append(Figure("Cost against the all-cloud baseline (USD)", CostChart(summary)));
        html.Append(Figure("Escalations by reason", EscalationChart(summary)));
        html.Append(Figure("Latency distribution by route (requests per bucket, ms)", LatencyChart(summary)));
        html.Append("</div>\n");

        html.Append("<h2>Latency by route (ms)</h2>\n<table><tr><th>route</th><th>requests</th><th>p50</th><th>p95</th><th>p99</th></tr>\n");
        foreach (var (lane, values) in summary.LatencyMs)
        {
            html.Append(Invariant($"<tr><td>{lane.ToString().ToLowerInvariant()}</td><td class=\"n\">{values.Length}</td><td class=\"n\">{CalibrationSummary.Percentile(values, 0.5):F0}</td><td class=\"n\">{CalibrationSummary.Percentile(values, 0.95):F0}</td><td class=\"n\">{CalibrationSummary.Percentile(values, 0.99):F0}</td></tr>\n"));
        }

        html.Append("</table>\n<h2>Cost and quality</h2>\n<table>\n");
        html.Append(Invariant($"<tr><td>hybrid</td><td class=\"n\">${summary.CostUsd:F4}</td></tr>\n"));
        html.Append(Invariant($"<tr><td>all-cloud baseline</td><td class=\"n\">${summary.BaselineUsd:F4}</td></tr>\n"));
        html.Append(Invariant($"<tr><td>saved</td><td class=\"n\">${summary.SavedUsd:F4} ({summary.SavedFraction:P1})</td></tr>\n"));
        html.Append(Invariant($"<tr><td>JSON answers that failed validation</td><td class=\"n\">{summary.ValidationFailures}</td></tr>\n"));
        foreach (var (lane, (matched, checkedCount)) in summary.Matched)
        {
            html.Append(Invariant($"<tr><td>expected answer given by {lane.ToString().ToLowerInvariant()}</td><td class=\"n\">{matched} of {checkedCount}</td></tr>\n"));
        }

        html.Append("</table>\n<h2>Suggested settings</h2>\n<table><tr><th>key</th><th>current</th><th>suggested</th><th>why</th></tr>\n");
        foreach (var suggestion in summary.Suggestions)
        {
            html.Append(Invariant($"<tr><td><code>{Encode(suggestion.Key)}</code></td><td class=\"n\">{Encode(suggestion.Current)}</td><td class=\"n\"><strong>{Encode(suggestion.Suggested)}</strong></td><td>{Encode(suggestion.Why)}</td></tr>\n"));
        }

        html.Append("</table>\n</body>\n</html>\n");
        return html.ToString();
    }

    private static string DispatchChart(CalibrationSummary summary)
    {
        (string Label, int Count, string Colour)[] parts = [("local", summary.Local, LocalColour), ("cloud", summary.Cloud, CloudColour), ("failed", summary.Failed, FailedColour)];
        var svg = new StringBuilder(Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"420\" height=\"90\" role=\"img\" aria-label=\"dispatch split\">"));
        double x = 10;
        foreach (var (label, count, colour) in parts)
        {
            var width = summary.Total == 0 ? 0 : 400.0 * count / summary.Total;
            svg.Append(Invariant($"<rect x=\"{x:F1}\" y=\"10\" width=\"{width:F1}\" height=\"30\" fill=\"{colour}\"><title>{label}: {count}</title></rect>"));
            x += width;
        }

        x = 10;
        foreach (var (label, count, colour) in parts)
        {
            svg.Append(Invariant($"<rect x=\"{x:F0}\" y=\"58\" width=\"12\" height=\"12\" fill=\"{colour}\"/><text x=\"{x + 16:F0}\" y=\"69\">{label} {count} ({(summary.Total == 0 ? 0 : (double)count / summary.Total):P0})</text>"));
            x += 135;
        }

        return svg.Append("</svg>").ToString();
    }

    private static string CostChart(CalibrationSummary summary)
    {
        var max = Math.Max(summary.BaselineUsd, summary.CostUsd);
        var svg = new StringBuilder("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"420\" height=\"90\" role=\"img\" aria-label=\"cost against baseline\">");
        (string Label, double Value, string Colour)[] bars = [("hybrid", summary.CostUsd, LocalColour), ("all-cloud", summary.BaselineUsd, CloudColour)];
        for (var i = 0; i < bars.Length; i++)
        {
            var width = max == 0 ? 0 : 260 * bars[i].Value / max;
            var y = 10 + (i * 36);
            svg.Append(Invariant($"<text x=\"0\" y=\"{y + 19}\">{bars[i].Label}</text><rect x=\"70\" y=\"{y}\" width=\"{width:F1}\" height=\"26\" fill=\"{bars[i].Colour}\"/><text x=\"{76 + width:F0}\" y=\"{y + 19}\">${bars[i].Value:F4}</text>"));
        }

        return svg.Append("</svg>").ToString();
    }

    private static string EscalationChart(CalibrationSummary summary)
    {
        var rows = summary.Escalations.ToList();
        var height = Math.Max(40, 14 + (rows.Count * 26));
        var svg = new StringBuilder(Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"420\" height=\"{height}\" role=\"img\" aria-label=\"escalations by reason\">"));
        if (rows.Count == 0)
        {
            svg.Append("<text x=\"0\" y=\"24\">no escalations</text>");
        }

        var max = rows.Count == 0 ? 1 : rows.Max(r => r.Value);
        for (var i = 0; i < rows.Count; i++)
        {
            var width = 230.0 * rows[i].Value / max;
            var y = 8 + (i * 26);
            svg.Append(Invariant($"<text x=\"0\" y=\"{y + 15}\">{rows[i].Key}</text><rect x=\"130\" y=\"{y}\" width=\"{width:F1}\" height=\"20\" fill=\"{CloudColour}\"/><text x=\"{136 + width:F0}\" y=\"{y + 15}\">{rows[i].Value}</text>"));
        }

        return svg.Append("</svg>").ToString();
    }

    private static string LatencyChart(CalibrationSummary summary)
    {
        var buckets = LatencyBounds.Length + 1;
        var counts = summary.LatencyMs.ToDictionary(kv => kv.Key, kv =>
        {
            var perBucket = new int[buckets];
            foreach (var value in kv.Value)
            {
                var index = Array.FindIndex(LatencyBounds, b => value <= b);
                perBucket[index < 0 ? buckets - 1 : index]++;
            }

            return perBucket;
        });
        var max = Math.Max(1, counts.Values.SelectMany(c => c).DefaultIfEmpty(0).Max());
        const int ChartHeight = 140;
        var svg = new StringBuilder("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"440\" height=\"200\" role=\"img\" aria-label=\"latency distribution by route\">");
        for (var b = 0; b < buckets; b++)
        {
            var x = 10 + (b * 46);
            var laneIndex = 0;
            foreach (var (lane, perBucket) in counts)
            {
                var h = ChartHeight * perBucket[b] / (double)max;
                var colour = lane == BackendLane.Local ? LocalColour : CloudColour;
                svg.Append(Invariant($"<rect x=\"{x + (laneIndex * 19)}\" y=\"{10 + ChartHeight - h:F1}\" width=\"18\" height=\"{h:F1}\" fill=\"{colour}\"><title>{lane.ToString().ToLowerInvariant()}: {perBucket[b]}</title></rect>"));
                laneIndex++;
            }

            var label = b < LatencyBounds.Length ? Invariant($"≤{LatencyBounds[b]:F0}") : Invariant($">{LatencyBounds[^1]:F0}");
            svg.Append(Invariant($"<text x=\"{x}\" y=\"{ChartHeight + 26}\">{label}</text>"));
        }

        svg.Append(Invariant($"<rect x=\"10\" y=\"{ChartHeight + 40}\" width=\"12\" height=\"12\" fill=\"{LocalColour}\"/><text x=\"26\" y=\"{ChartHeight + 51}\">local</text>"));
        svg.Append(Invariant($"<rect x=\"80\" y=\"{ChartHeight + 40}\" width=\"12\" height=\"12\" fill=\"{CloudColour}\"/><text x=\"96\" y=\"{ChartHeight + 51}\">cloud</text>"));
        return svg.Append("</svg>").ToString();
    }

    private static string Figure(string caption, string svg) => $"<figure>{svg}<figcaption>{Encode(caption)}</figcaption></figure>\n";

    private static string Encode(string text) => WebUtility.HtmlEncode(text);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
