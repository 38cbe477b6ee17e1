using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace HybridInference.TestUtilities;

/// <summary>
/// Keeps every log line, at every level, with its category, structured values, scopes and exception, so a test can
/// look for a sentinel in all of it.
/// </summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    /// <summary>Gets the lines logged so far.</summary>
    public ConcurrentQueue<string> Lines { get; } = new();

    /// <inheritdoc/>
    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    /// <inheritdoc/>
    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull
        {
            owner.Lines.Enqueue($"{category} scope: {state}");
            return null;
        }

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var structured = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(", ", pairs.Select(p => $"{p.Key}={p.Value}")) : string.Empty;
            owner.Lines.Enqueue($"{category} {logLevel}: {formatter(state, exception)} [{structured}] {exception}");
        }
    }
}
