using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;

namespace HybridInference.Soak.Tests;

/// <summary>
/// Watches every log line, span attribute and metric tag of the process for two sentinels (an API key and a piece
/// of prompt text) as they are written, counting what it saw and every leak, without keeping the lines themselves.
/// </summary>
internal sealed class Sentinels : ILoggerProvider, IDisposable
{
    public const string ApiKey = "sk-SENTINEL-KEY-3f9c1d7e";
    public const string PromptText = "SENTINEL-PROMPT-b41e";

    private readonly ActivityListener _spans;
    private readonly MeterListener _metrics;
    private long _logLines;
    private long _spanTags;
    private long _metricTags;

    public Sentinels()
    {
        _spans = new ActivityListener
        {
            ShouldListenTo = _ => true,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                foreach (var tag in activity.TagObjects)
                {
                    Interlocked.Increment(ref _spanTags);
                    Check("span " + activity.OperationName + " " + tag.Key, tag.Value switch { string[] values => string.Join(' ', values), var value => value?.ToString() });
                }

                foreach (var activityEvent in activity.Events)
                {
                    foreach (var tag in activityEvent.Tags)
                    {
                        Check("span event " + activityEvent.Name, tag.Value?.ToString());
                    }
                }

                Check("span status", activity.StatusDescription);
            },
        };
        ActivitySource.AddActivityListener(_spans);
        _metrics = new MeterListener { InstrumentPublished = (instrument, listener) => listener.EnableMeasurementEvents(instrument) };
        _metrics.SetMeasurementEventCallback<long>((_, _, tags, _) => CheckTags(tags));
        _metrics.SetMeasurementEventCallback<int>((_, _, tags, _) => CheckTags(tags));
        _metrics.SetMeasurementEventCallback<double>((_, _, tags, _) => CheckTags(tags));
        _metrics.Start();
    }

    public ConcurrentQueue<string> Leaks { get; } = new();

    public long LogLines => Interlocked.Read(ref _logLines);

    public long SpanTags => Interlocked.Read(ref _spanTags);

    public long MetricTags => Interlocked.Read(ref _metricTags);

    /// <summary>Checks an exception the caller received: its type, message and stack, inner exceptions included.</summary>
    public void CheckException(Exception exception) => Check("exception " + exception.GetType().Name, exception.ToString());

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
        _spans.Dispose();
        _metrics.Dispose();
    }

    private void CheckTags(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (var tag in tags)
        {
            Interlocked.Increment(ref _metricTags);
            Check("metric tag " + tag.Key, tag.Value?.ToString());
        }
    }

    private void Check(string where, string? text)
    {
        if (text is null)
        {
            return;
        }

        if (text.Contains(ApiKey, StringComparison.Ordinal) || text.Contains(PromptText, StringComparison.Ordinal))
        {
            if (Leaks.Count < 20)
            {
                Leaks.Enqueue(where + ": " + (text.Length > 300 ? text[..300] : text));
            }
        }
    }

    private sealed class Logger(Sentinels owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            Interlocked.Increment(ref owner._logLines);
            var message = formatter(state, exception);
            owner.Check("log " + category, message);
            owner.Check("log exception " + category, exception?.ToString());
            if (state is IReadOnlyList<KeyValuePair<string, object?>> values)
            {
                foreach (var value in values)
                {
                    owner.Check("log value " + value.Key, value.Value?.ToString());
                }
            }

            if (category == "HybridInference.CircuitBreaker.CircuitBreakerChatClient" && eventId.Id is 4 or 5)
            {
                owner.BreakerEvents.Enqueue((eventId.Id == 4 ? "opened " : "closed ") + (message.Contains("The Local ", StringComparison.Ordinal) ? "local" : "cloud"));
            }
        }
    }

    public ConcurrentQueue<string> BreakerEvents { get; } = new();
}
