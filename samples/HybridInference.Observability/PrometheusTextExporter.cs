using System.Globalization;
using System.Text;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace HybridInference.Observability;

/// <summary>
/// Renders every metric in Prometheus' text exposition format (version 0.0.4), the page a Prometheus server scrapes,
/// each time its reader collects (the page calls <c>Collect()</c> on each scrape, so values are current). Names get
/// Prometheus' characters (dots become underscores), counters a <c>_total</c> suffix, histograms their
/// <c>_bucket</c>/<c>_sum</c>/<c>_count</c> series.
/// </summary>
internal sealed class PrometheusTextExporter : BaseExporter<Metric>
{
    private readonly Lock _gate = new();
    private string _page = string.Empty;

    /// <summary>Gets the page rendered by the last collection.</summary>
    public string Page
    {
        get
        {
            lock (_gate)
            {
                return _page;
            }
        }
    }

    public override ExportResult Export(in Batch<Metric> batch)
    {
        var page = new StringBuilder();
        foreach (var metric in batch)
        {
            Render(page, metric);
        }

        lock (_gate)
        {
            _page = page.ToString();
        }

        return ExportResult.Success;
    }

    private static void Render(StringBuilder page, Metric metric)
    {
        var name = Sanitize(metric.Name);
        var (type, suffix) = metric.MetricType switch
        {
            MetricType.LongSum or MetricType.DoubleSum => ("counter", "_total"),
            MetricType.Histogram => ("histogram", string.Empty),
            _ => ("gauge", string.Empty), // gauges and up-down counters
        };
        if (!string.IsNullOrEmpty(metric.Description))
        {
            page.Append("# HELP ").Append(name).Append(suffix).Append(' ').Append(metric.Description.Replace("\n", " ", StringComparison.Ordinal)).Append('\n');
        }

        page.Append("# TYPE ").Append(name).Append(suffix).Append(' ').Append(type).Append('\n');
        foreach (ref readonly var point in metric.GetMetricPoints())
        {
            var labels = Labels(point.Tags);
            switch (metric.MetricType)
            {
                case MetricType.Histogram:
                    long cumulative = 0;
                    foreach (var bucket in point.GetHistogramBuckets())
                    {
                        cumulative += bucket.BucketCount;
                        var bound = double.IsPositiveInfinity(bucket.ExplicitBound) ? "+Inf" : Number(bucket.ExplicitBound);
                        page.Append(name).Append("_bucket{").Append(labels).Append(labels.Length == 0 ? string.Empty : ",").Append("le=\"").Append(bound).Append("\"} ").Append(cumulative).Append('\n');
                    }

                    page.Append(name).Append("_sum").Append(Braces(labels)).Append(' ').Append(Number(point.GetHistogramSum())).Append('\n');
                    page.Append(name).Append("_count").Append(Braces(labels)).Append(' ').Append(point.GetHistogramCount()).Append('\n');
                    break;
                case MetricType.LongSum or MetricType.LongSumNonMonotonic:
                    page.Append(name).Append(suffix).Append(Braces(labels)).Append(' ').Append(point.GetSumLong()).Append('\n');
                    break;
                case MetricType.DoubleSum or MetricType.DoubleSumNonMonotonic:
                    page.Append(name).Append(suffix).Append(Braces(labels)).Append(' ').Append(Number(point.GetSumDouble())).Append('\n');
                    break;
                case MetricType.LongGauge:
                    page.Append(name).Append(Braces(labels)).Append(' ').Append(point.GetGaugeLastValueLong()).Append('\n');
                    break;
                case MetricType.DoubleGauge:
                    page.Append(name).Append(Braces(labels)).Append(' ').Append(Number(point.GetGaugeLastValueDouble())).Append('\n');
                    break;
            }
        }
    }

    private static string Labels(ReadOnlyTagCollection tags)
    {
        var labels = new StringBuilder();
        foreach (var tag in tags)
        {
            if (labels.Length > 0)
            {
                labels.Append(',');
            }

            var value = Convert.ToString(tag.Value, CultureInfo.InvariantCulture) ?? string.Empty;
            labels.Append(Sanitize(tag.Key)).Append("=\"")
                .Append(value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal))
                .Append('"');
        }

        return labels.ToString();
    }

    private static string Braces(string labels) => labels.Length == 0 ? string.Empty : "{" + labels + "}";

    private static string Number(double value) => double.IsPositiveInfinity(value) ? "+Inf" : value.ToString("G17", CultureInfo.InvariantCulture);

    /// <summary>Prometheus metric and label names: letters, digits and underscores (colons are for recording rules).</summary>
    private static string Sanitize(string name)
    {
        var chars = name.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (!(char.IsAsciiLetterOrDigit(chars[i]) || chars[i] == '_'))
            {
                chars[i] = '_';
            }
        }

        return char.IsAsciiDigit(chars[0]) ? "_" + new string(chars) : new string(chars);
    }
}
