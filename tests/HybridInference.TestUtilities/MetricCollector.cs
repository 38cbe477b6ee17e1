using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace HybridInference.TestUtilities;

/// <summary>One measurement seen by a <see cref="MetricCollector"/>.</summary>
public sealed record Measurement(string Instrument, double Value, IReadOnlyDictionary<string, object?> Tags, string? Unit)
{
    public string? Tag(string key) => Tags.TryGetValue(key, out var value) ? value?.ToString() : null;
}

/// <summary>
/// Listens, with a real <see cref="MeterListener"/>, to the instruments of one meter created by one
/// <see cref="IMeterFactory"/>, so tests that run in parallel do not see each other's measurements.
/// </summary>
public sealed class MetricCollector : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<Measurement> _measurements = new();

    public MetricCollector(IMeterFactory scope, string meterName)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == meterName && ReferenceEquals(instrument.Meter.Scope, scope))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, v, t, _) => Add(i, v, t));
        _listener.SetMeasurementEventCallback<int>((i, v, t, _) => Add(i, v, t));
        _listener.SetMeasurementEventCallback<double>((i, v, t, _) => Add(i, v, t));
        _listener.Start();
    }

    public IReadOnlyList<Measurement> All => [.. _measurements];

    public IReadOnlyList<Measurement> Of(string instrument) => _measurements.Where(m => m.Instrument == instrument).ToList();

    public double Sum(string instrument, params (string Key, string Value)[] tags) =>
        Of(instrument).Where(m => tags.All(t => m.Tag(t.Key) == t.Value)).Sum(m => m.Value);

    /// <summary>Polls observable instruments (gauges) now.</summary>
    public void RecordObservableInstruments() => _listener.RecordObservableInstruments();

    public void Dispose() => _listener.Dispose();

    private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var dictionary = new Dictionary<string, object?>();
        foreach (var tag in tags)
        {
            dictionary[tag.Key] = tag.Value;
        }

        _measurements.Enqueue(new Measurement(instrument.Name, value, dictionary, instrument.Unit));
    }
}
