using System.Diagnostics;
using System.Text;
using OpenTelemetry;
using OpenTelemetry.Logs;

namespace HybridInference.Observability;

/// <summary>Writes each finished span as one line: name, duration, status, then its attributes.</summary>
internal sealed class ConsoleSpanExporter(TextWriter output) : BaseExporter<Activity>
{
    public override ExportResult Export(in Batch<Activity> batch)
    {
        foreach (var activity in batch)
        {
            var line = new StringBuilder()
                .Append("span  ").Append(activity.ParentSpanId == default ? string.Empty : "  ").Append(activity.DisplayName)
                .Append(' ').Append(activity.Duration.TotalMilliseconds.ToString("F1", System.Globalization.CultureInfo.InvariantCulture)).Append(" ms")
                .Append(activity.Status == ActivityStatusCode.Error ? " ERROR" : string.Empty);
            foreach (var tag in activity.TagObjects)
            {
                line.Append(' ').Append(tag.Key).Append('=').Append(tag.Value is string[] values ? string.Join(',', values) : tag.Value);
            }

            output.WriteLine(line);
        }

        return ExportResult.Success;
    }
}

/// <summary>Writes each log record as one line: level, category, message.</summary>
internal sealed class ConsoleLogExporter(TextWriter output) : BaseExporter<LogRecord>
{
    public override ExportResult Export(in Batch<LogRecord> batch)
    {
        foreach (var record in batch)
        {
            output.WriteLine($"log   {record.LogLevel,-11} {record.CategoryName}: {record.FormattedMessage}");
        }

        return ExportResult.Success;
    }
}
