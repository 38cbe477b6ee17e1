using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace HybridInference.TestUtilities;

/// <summary>
/// Microsoft's <see cref="MetricCollector{T}"/>, one for each instrument that a meter of one <see cref="IMeterFactory"/>
/// publishes, created the moment the instrument is published (so no measurement is missed), for tests that read
/// several instruments by name or look at all of them (a secret must be in no tag of any instrument, new ones included).
/// Tests that read one instrument use <see cref="MetricCollector{T}"/> directly.
/// </summary>
public sealed class MeterCollector : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, Collected> _collectors = new(StringComparer.Ordinal);

    public MeterCollector(IMeterFactory scope, string meterName)
    {
        _listener.InstrumentPublished = (instrument, _) =>
        {
            if (instrument.Meter.Name == meterName && ReferenceEquals(instrument.Meter.Scope, scope))
            {
                _collectors.TryAdd(instrument.Name, Collected.For(instrument));
            }
        };
        _listener.Start();
    }

    /// <summary>The measurements of every instrument so far.</summary>
    public IReadOnlyList<MeasuredValue> All => [.. _collectors.Values.SelectMany(c => c.Snapshot())];

    /// <summary>The Microsoft collector of <paramref name="instrument"/>, whose values are of type <typeparamref name="T"/>.</summary>
    public MetricCollector<T> Collector<T>(string instrument)
        where T : struct =>
        _collectors.TryGetValue(instrument, out var collected)
            ? collected.Collector as MetricCollector<T> ?? throw new InvalidOperationException($"Instrument '{instrument}' does not record {typeof(T).Name} values.")
            : throw new InvalidOperationException($"Instrument '{instrument}' was not published.");

    /// <summary>The measurements of <paramref name="instrument"/> so far (none when it was not published).</summary>
    public IReadOnlyList<MeasuredValue> Of(string instrument) =>
        _collectors.TryGetValue(instrument, out var collected) ? collected.Snapshot() : [];

    /// <summary>The sum of the values of <paramref name="instrument"/> whose tags hold all of <paramref name="tags"/>.</summary>
    public double Sum(string instrument, params (string Key, string Value)[] tags) =>
        Of(instrument).Where(m => tags.All(t => m.Tag(t.Key) == t.Value)).Sum(m => m.Value);

    /// <summary>Polls the observable instruments (gauges, observable counters) now.</summary>
    public void RecordObservableInstruments()
    {
        foreach (var collected in _collectors.Values)
        {
            collected.RecordObservableInstruments();
        }
    }

    public void Dispose()
    {
        _listener.Dispose();
        foreach (var collected in _collectors.Values)
        {
            ((IDisposable)collected.Collector).Dispose();
        }
    }

    /// <summary>One Microsoft collector with a view of its measurements.</summary>
    private sealed record Collected(object Collector, Func<IReadOnlyList<MeasuredValue>> Snapshot, Action RecordObservableInstruments)
    {
        public static Collected For(Instrument instrument) => instrument switch
        {
            Instrument<long> i => Of(new MetricCollector<long>(i), v => v),
            Instrument<int> i => Of(new MetricCollector<int>(i), v => v),
            Instrument<double> i => Of(new MetricCollector<double>(i), v => v),
            ObservableInstrument<long> i => Of(new MetricCollector<long>(i), v => v),
            ObservableInstrument<int> i => Of(new MetricCollector<int>(i), v => v),
            ObservableInstrument<double> i => Of(new MetricCollector<double>(i), v => v),
            _ => throw new NotSupportedException($"Instrument '{instrument.Name}' is of a type the collector does not know: {instrument.GetType()}."),
        };

        private static Collected Of<T>(MetricCollector<T> collector, Func<T, double> toDouble)
            where T : struct =>
            new(
                collector,
                () => [.. collector.GetMeasurementSnapshot().Select(m => new MeasuredValue(collector.Instrument!.Name, toDouble(m.Value), m.Tags))],
                collector.RecordObservableInstruments);
    }
}

/// <summary>A <see cref="CollectedMeasurement{T}"/> of any value type seen through <see cref="MeterCollector"/>, with its instrument's name.</summary>
public sealed record MeasuredValue(string Instrument, double Value, IReadOnlyDictionary<string, object?> Tags)
{
    /// <summary>The value of tag <paramref name="key"/> as text, or <see langword="null"/> when there is no such tag.</summary>
    public string? Tag(string key) => Tags.TryGetValue(key, out var value) ? value?.ToString() : null;
}
