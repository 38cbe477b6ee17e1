using System.Globalization;

namespace HybridInference.OpenAI.Wire;

/// <summary>Reads a gauge from Prometheus' text exposition format (<c>name{labels} value</c> lines).</summary>
internal static class PrometheusText
{
    /// <summary>
    /// Sums the finite values of every series of <paramref name="metric"/> (one per model or engine), rounded to a
    /// whole count; null when the page has none.
    /// </summary>
    public static int? SumGauge(string text, string metric)
    {
        double? sum = null;
        foreach (var line in text.AsSpan().EnumerateLines())
        {
            var trimmed = line.Trim();
            if (!trimmed.StartsWith(metric, StringComparison.Ordinal) || trimmed.Length == metric.Length
                || trimmed[metric.Length] is not ('{' or ' '))
            {
                continue;
            }

            var space = trimmed.LastIndexOf(' ');
            if (space > 0 && double.TryParse(trimmed[(space + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value))
            {
                sum = (sum ?? 0) + value;
            }
        }

        return sum is { } total ? (int)Math.Round(total) : null;
    }
}
