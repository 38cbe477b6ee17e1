using Microsoft.Extensions.Logging.Testing;

namespace HybridInference.TestUtilities;

/// <summary>
/// Every record of Microsoft's <see cref="FakeLogCollector"/> as one line of text, with its category, level, message,
/// structured values, scopes and exception, so a test can look for a sentinel in all of it.
/// </summary>
public static class FakeLogExtensions
{
    extension(FakeLogCollector collector)
    {
        /// <summary>Gets the records collected so far, one line each.</summary>
        public IReadOnlyList<string> Lines => [.. collector.GetSnapshot().Select(Line)];
    }

    extension(FakeLoggerProvider provider)
    {
        /// <summary>Gets the records of the provider's collector so far, one line each.</summary>
        public IReadOnlyList<string> Lines => provider.Collector.Lines;
    }

    private static string Line(FakeLogRecord record)
    {
        var structured = record.StructuredState is { } pairs ? string.Join(", ", pairs.Select(p => $"{p.Key}={p.Value}")) : string.Empty;
        var scopes = string.Join(", ", record.Scopes.Select(s => s?.ToString()));
        return $"{record.Category} {record.Level}: {record.Message} [{structured}] scopes: [{scopes}] {record.Exception}";
    }
}
