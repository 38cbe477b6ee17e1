using System.Diagnostics;
using System.Diagnostics.Metrics;
using HybridInference.Internal;
using Polly.CircuitBreaker;

namespace HybridInference.Telemetry;

/// <summary>The library's instruments on the <c>HybridInference</c> meter, with one method per thing measured.</summary>
/// <remarks>Thread-safe. Recording allocates nothing: tags go in a <see cref="TagList"/> on the stack.</remarks>
internal sealed class HybridInferenceMetrics
{
    private readonly Counter<long> _dispatches;
    private readonly Counter<long> _escalations;
    private readonly Counter<long> _validationFailures;
    private readonly Counter<long> _jsonExtractions;
    private readonly Counter<long> _hedges;
    private readonly Histogram<double> _taskCost;
    private readonly Counter<long> _historyReductions;
    private readonly Histogram<int> _historyTokensRemoved;
    private readonly Counter<long> _historySummaries;
    private readonly Histogram<int> _tokenUsage;
    private readonly Histogram<double> _operationDuration;
    private readonly Meter _meter;
    private readonly Counter<long> _toolLoopMoves;
    private CircuitBreakerStateProvider? _localCircuit;
    private CircuitBreakerStateProvider? _cloudCircuit;
    private volatile Pools.BackendChatClient[] _backends = [];
    private readonly Lock _observedGate = new();
    private readonly Counter<long> _degradations;

    public HybridInferenceMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _meter = meterFactory.Create(HybridInferenceTelemetry.MeterName);
        _dispatches = _meter.CreateCounter<long>(HybridInferenceTelemetry.Dispatches, description: "Backend calls, by lane, backend and task category.");
        _escalations = _meter.CreateCounter<long>(HybridInferenceTelemetry.Escalations, description: "Requests answered by the cloud, by reason.");
        _validationFailures = _meter.CreateCounter<long>(HybridInferenceTelemetry.ValidationFailures, description: "JSON answers that failed validation, by backend and reason.");
        _hedges = _meter.CreateCounter<long>(HybridInferenceTelemetry.Hedges, description: "Hedged cloud requests started because the local answer was late, by the lane that answered first.");
        _jsonExtractions = _meter.CreateCounter<long>(HybridInferenceTelemetry.JsonExtractions, description: "JSON answers extracted from a code fence or prose around them, by backend.");
        _taskCost = _meter.CreateHistogram<double>(HybridInferenceTelemetry.TaskCost, HybridInferenceTelemetry.UnitUsd, "Cost of each request, every attempt included, by the lane that answered.");
        _historyReductions = _meter.CreateCounter<long>(
            HybridInferenceTelemetry.HistoryReductions, description: "Conversations fitted to the local window, by mode and result (fitted, not_fitted).");
        _historyTokensRemoved = _meter.CreateHistogram<int>(
            HybridInferenceTelemetry.HistoryTokensRemoved, HybridInferenceTelemetry.UnitTokens, "Prompt tokens a fitted conversation no longer sends, by mode.");
        _historySummaries = _meter.CreateCounter<long>(
            HybridInferenceTelemetry.HistorySummaries, description: "History summaries used, by source (cache, or model: written by a local model now).");
        _tokenUsage = _meter.CreateHistogram<int>(
            HybridInferenceTelemetry.TokenUsage,
            HybridInferenceTelemetry.UnitTokens,
            "Number of input and output tokens used.",
            tags: null,
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = Array.ConvertAll(HybridInferenceTelemetry.TokenBuckets, b => (int)Math.Min(b, int.MaxValue)) });
        _operationDuration = _meter.CreateHistogram<double>(
            HybridInferenceTelemetry.OperationDuration,
            HybridInferenceTelemetry.UnitSeconds,
            "GenAI operation duration.",
            tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = HybridInferenceTelemetry.DurationBuckets });
        _meter.CreateObservableGauge(
            HybridInferenceTelemetry.CircuitState,
            ObserveCircuit,
            unit: null,
            description: "State of each lane's circuit breaker: 0 closed, 1 open, 2 half-open.");
        _meter.CreateObservableUpDownCounter(
            HybridInferenceTelemetry.ActiveRequests,
            ObserveActiveRequests,
            unit: "{request}",
            description: "Requests in flight at each backend, by backend and lane.");
        _toolLoopMoves = _meter.CreateCounter<long>(
            HybridInferenceTelemetry.ToolLoopMoves, description: "Tool loops moved to another backend because theirs failed, by the lanes moved from and to.");
        _degradations = _meter.CreateCounter<long>(
            HybridInferenceTelemetry.Degradations, description: "Requests the cloud failed that were answered locally instead, by category and the cloud's failure.");
    }

    /// <summary>Adds the backends of a pool to the active-requests instrument.</summary>
    public void ObserveBackends(IEnumerable<Pools.BackendChatClient> backends)
    {
        lock (_observedGate)
        {
            _backends = [.. _backends, .. backends];
        }
    }

    /// <summary>Removes backends from the active-requests instrument (members a discovered backend no longer has).</summary>
    public void ForgetBackends(IReadOnlyCollection<Pools.BackendChatClient> backends)
    {
        lock (_observedGate)
        {
            _backends = Array.FindAll(_backends, b => !backends.Contains(b));
        }
    }

    /// <summary>Makes <paramref name="stateProvider"/> the source of the local lane's circuit-state gauge.</summary>
    public void ObserveLocalCircuit(CircuitBreakerStateProvider stateProvider) => _localCircuit = stateProvider;

    /// <summary>Makes <paramref name="stateProvider"/> the source of the cloud lane's circuit-state gauge.</summary>
    public void ObserveCloudCircuit(CircuitBreakerStateProvider stateProvider) => _cloudCircuit = stateProvider;

    public void RecordDispatch(BackendInfo backend, TaskCategory category, string? sensitiveTopic = null)
    {
        if (_dispatches.Enabled)
        {
            var tags = new TagList
            {
                { HybridInferenceTelemetry.TargetTag, backend.LaneTag },
                { HybridInferenceTelemetry.BackendTag, backend.Name },
                { HybridInferenceTelemetry.CategoryTag, HybridInferenceTelemetry.ToTag(category) },
            };
            if (sensitiveTopic is not null)
            {
                tags.Add(HybridInferenceTelemetry.SensitiveTopicTag, sensitiveTopic);
            }

            _dispatches.Add(1, tags);
        }
    }

    public void RecordEscalation(EscalationReason reason)
    {
        if (_escalations.Enabled)
        {
            _escalations.Add(1, new KeyValuePair<string, object?>(HybridInferenceTelemetry.ReasonTag, HybridInferenceTelemetry.ToTag(reason)));
        }
    }

    public void RecordValidationFailure(string backend, ValidationFailureReason reason)
    {
        if (_validationFailures.Enabled)
        {
            _validationFailures.Add(
                1,
                new KeyValuePair<string, object?>(HybridInferenceTelemetry.BackendTag, backend),
                new KeyValuePair<string, object?>(HybridInferenceTelemetry.ReasonTag, HybridInferenceTelemetry.ToTag(reason)));
        }
    }

    public void RecordHedge(BackendLane winner)
    {
        if (_hedges.Enabled)
        {
            _hedges.Add(1, new KeyValuePair<string, object?>(HybridInferenceTelemetry.WinnerTag, HybridInferenceTelemetry.ToTag(winner)));
        }
    }

    public void RecordJsonExtraction(string backend)
    {
        if (_jsonExtractions.Enabled)
        {
            _jsonExtractions.Add(1, new KeyValuePair<string, object?>(HybridInferenceTelemetry.BackendTag, backend));
        }
    }

    /// <summary>Records a conversation fitted (or found too long even reduced) to the local window, and its summary's source.</summary>
    public void RecordHistoryReduction(HistoryReduction reduction)
    {
        var mode = HybridInferenceTelemetry.ToTag(reduction.Mode);
        if (_historyReductions.Enabled)
        {
            _historyReductions.Add(
                1,
                new KeyValuePair<string, object?>(HybridInferenceTelemetry.ModeTag, mode),
                new KeyValuePair<string, object?>(HybridInferenceTelemetry.ResultTag, reduction.Fitted ? "fitted" : "not_fitted"));
        }

        if (reduction.Fitted && _historyTokensRemoved.Enabled)
        {
            _historyTokensRemoved.Record(
                Math.Max(0, reduction.PromptTokensBefore - reduction.PromptTokensAfter), new KeyValuePair<string, object?>(HybridInferenceTelemetry.ModeTag, mode));
        }

        if (reduction.Summarized && _historySummaries.Enabled)
        {
            _historySummaries.Add(1, new KeyValuePair<string, object?>(HybridInferenceTelemetry.SourceTag, reduction.SummaryFromCache ? "cache" : "model"));
        }
    }

    public void RecordTaskCost(BackendLane target, double costUsd)
    {
        if (_taskCost.Enabled)
        {
            _taskCost.Record(costUsd, new KeyValuePair<string, object?>(HybridInferenceTelemetry.TargetTag, HybridInferenceTelemetry.ToTag(target)));
        }
    }

    public void RecordOperation(BackendInfo backend, string? responseModel, long? inputTokens, long? outputTokens, double seconds, string? errorType)
    {
        if (_operationDuration.Enabled)
        {
            var tags = GenAiTags(backend, responseModel);
            if (errorType is not null)
            {
                tags.Add(HybridInferenceTelemetry.ErrorType, errorType);
            }

            _operationDuration.Record(seconds, tags);
        }

        if (_tokenUsage.Enabled)
        {
            if (inputTokens is { } input)
            {
                var tags = GenAiTags(backend, responseModel);
                tags.Add(HybridInferenceTelemetry.GenAiTokenType, "input");
                _tokenUsage.Record((int)Math.Min(input, int.MaxValue), tags);
            }

            if (outputTokens is { } output)
            {
                var tags = GenAiTags(backend, responseModel);
                tags.Add(HybridInferenceTelemetry.GenAiTokenType, "output");
                _tokenUsage.Record((int)Math.Min(output, int.MaxValue), tags);
            }
        }
    }

    private static TagList GenAiTags(BackendInfo backend, string? responseModel)
    {
        var tags = new TagList
        {
            { HybridInferenceTelemetry.GenAiOperationName, HybridInferenceTelemetry.ChatOperation },
            { HybridInferenceTelemetry.GenAiProviderName, backend.Provider },
        };
        if (backend.Model is not null)
        {
            tags.Add(HybridInferenceTelemetry.GenAiRequestModel, backend.Model);
        }

        if (responseModel is not null)
        {
            tags.Add(HybridInferenceTelemetry.GenAiResponseModel, responseModel);
        }

        return tags;
    }

    private Measurement<int>[] ObserveCircuit() => (_localCircuit, _cloudCircuit) switch
    {
        (null, null) => [],
        ({ } local, null) => [Measure(local, "local")],
        (null, { } cloud) => [Measure(cloud, "cloud")],
        ({ } local, { } cloud) => [Measure(local, "local"), Measure(cloud, "cloud")],
    };

    private IEnumerable<Measurement<int>> ObserveActiveRequests()
    {
        foreach (var backend in _backends)
        {
            yield return new Measurement<int>(
                backend.State.InFlight,
                new KeyValuePair<string, object?>(HybridInferenceTelemetry.BackendTag, backend.Info.Name),
                new KeyValuePair<string, object?>(HybridInferenceTelemetry.LaneTag, backend.Info.LaneTag));
        }
    }

    private static Measurement<int> Measure(CircuitBreakerStateProvider circuit, string lane)
    {
        var state = circuit.CircuitState switch
        {
            Polly.CircuitBreaker.CircuitState.Closed => 0,
            Polly.CircuitBreaker.CircuitState.HalfOpen => 2,
            _ => 1, // Open and Isolated both keep traffic away.
        };
        return new Measurement<int>(state, new KeyValuePair<string, object?>(HybridInferenceTelemetry.LaneTag, lane));
    }

    /// <summary>Counts a tool loop that moved to another backend (of the same lane or the other one) because its own failed.</summary>
    public void RecordToolLoopMove(BackendLane from, BackendLane to)
    {
        if (_toolLoopMoves.Enabled)
        {
            _toolLoopMoves.Add(
                1,
                new KeyValuePair<string, object?>(HybridInferenceTelemetry.FromLaneTag, HybridInferenceTelemetry.ToTag(from)),
                new KeyValuePair<string, object?>(HybridInferenceTelemetry.ToLaneTag, HybridInferenceTelemetry.ToTag(to)));
        }
    }

    /// <summary>Counts a request the cloud failed that is answered locally instead; <paramref name="reason"/> is a tag value (<see cref="HybridInferenceTelemetry.ToTag(CircuitFailureReason)"/>, or <c>budget</c>).</summary>
    public void RecordDegradation(TaskCategory category, string reason)
    {
        if (_degradations.Enabled)
        {
            _degradations.Add(
                1,
                new KeyValuePair<string, object?>(HybridInferenceTelemetry.CategoryTag, HybridInferenceTelemetry.ToTag(category)),
                new KeyValuePair<string, object?>(HybridInferenceTelemetry.ReasonTag, reason));
        }
    }
}
