using Microsoft.Extensions.AI;

namespace HybridInference.Internal;

/// <summary>Folds a request's state into its <see cref="RouteOutcome"/>, and attaches it to what the caller gets.</summary>
internal static class RouteOutcomes
{
    /// <summary>The backend name of an answer that came from a cache.</summary>
    public const string CacheBackend = "(cache)";

    /// <summary>Folds the outcome from the request's state: its profile and decision, and the attempt log added up.</summary>
    public static RouteOutcome Fold(RequestState request, TimeSpan duration, bool committed, bool failed)
    {
        var profile = request.Profile;
        var decision = request.Decision ?? new RouteDecision(RouteTarget.Local, RouteReason.Default);
        var winner = request.Hedge?.Winner;
        var totals = request.Attempts.Fold(winner);
        var answered = totals.Answered;
        var backend = answered?.Backend ?? totals.Last;
        return new RouteOutcome
        {
            Target = backend?.Lane ?? (decision.Target == RouteTarget.Cloud ? BackendLane.Cloud : BackendLane.Local),
            Backend = backend?.Name ?? "unknown",
            Model = answered?.Model,
            Category = profile?.Category ?? TaskCategory.Routine,
            Decision = decision.Target,
            DecisionReason = decision.Reason,
            Attempts = totals.Attempts,
            EscalationReason = winner == BackendLane.Cloud ? EscalationReason.Hedge
                : request.Escalation != EscalationReason.None ? request.Escalation
                : decision.Target == RouteTarget.Cloud ? ToEscalation(decision.Reason)
                : EscalationReason.None,
            ValidationFailures = request.ValidationFailures,
            EstimatedPromptTokens = profile?.EstimatedPromptTokens ?? 0,
            PromptTokensExact = profile?.PromptTokensExact ?? false,
            InputTokens = totals.InputTokens,
            OutputTokens = totals.OutputTokens,
            CostUsd = totals.CostUsd + (request.History?.SummaryCostUsd ?? 0),
            CloudBaselineCostUsd = answered?.CloudBaseline.CostUsd ?? 0,
            CloudBaselineInputTokens = answered?.CloudBaseline.InputTokens ?? 0,
            CloudBaselineOutputTokens = answered?.CloudBaseline.OutputTokens ?? 0,
            CloudBaselineTokensExact = answered?.CloudBaseline.Exact ?? false,
            Duration = duration,
            OutputCommitted = committed,
            Failed = failed,
            StartedAt = request.StartedAt,
            JsonRequired = profile?.RequiresJson ?? false,
            SensitiveTopic = profile?.SensitiveTopic,
            History = request.History,
            DataPolicy = profile?.DataPolicy,
            ToolLoopMovedFrom = request.ToolLoop?.MovedFromAfter(answered?.Backend),
            RequiredCapabilities = profile?.RequiredCapabilities ?? ModelCapabilities.None,
            NoCapableLocalModel = request.NoCapableLocalModel,
        };
    }

    /// <summary>
    /// Marks a turn that asks for tools: its last message carries the outcome too, so that when a function-invocation
    /// loop gathers every turn's messages into its final response, each turn's outcome is still there. Other answers
    /// are not touched (no allocation).
    /// </summary>
    public static void MarkToolTurn(ChatResponse response, RouteOutcome outcome)
    {
        var messages = response.Messages;
        for (var i = 0; i < messages.Count; i++)
        {
            var contents = messages[i].Contents;
            for (var j = 0; j < contents.Count; j++)
            {
                if (contents[j] is FunctionCallContent)
                {
                    (messages[^1].AdditionalProperties ??= [])[RequestState.OutcomePropertyKey] = outcome;
                    return;
                }
            }
        }
    }

    /// <summary>
    /// The content-free update that ends a stream and carries its outcome. A stream that asked for tools carries it a
    /// second time under a key of its own turn (<see cref="TurnKeyPrefix"/> and the request's sequence number): when a
    /// function-invocation loop's updates are gathered with <c>ToChatResponse</c>, every update's properties land in one
    /// dictionary, where each turn's key survives the next turn's outcome.
    /// </summary>
    public static ChatResponseUpdate CarrierUpdate(RouteOutcome outcome, long toolTurnSequence = 0)
    {
        var properties = new AdditionalPropertiesDictionary { [RequestState.OutcomePropertyKey] = outcome };
        if (toolTurnSequence != 0)
        {
            properties[TurnKeyPrefix + toolTurnSequence.ToString(System.Globalization.CultureInfo.InvariantCulture)] = outcome;
        }

        return new() { AdditionalProperties = properties };
    }

    /// <summary>The start of the key under which a streamed turn that asked for tools carries its outcome.</summary>
    public const string TurnKeyPrefix = RequestState.OutcomePropertyKey + ".Turn.";

    /// <summary>Whether an update asks for a tool to be called.</summary>
    /// <remarks>Text, the usual content, is told apart first by its exact (sealed) type, before the costlier check of an open class.</remarks>
    public static bool AsksForTool(ChatResponseUpdate update)
    {
        foreach (var content in UpdateContents.Of(update))
        {
            if (content is not TextContent and FunctionCallContent)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Reads an outcome from additional properties: the object itself, or its serialized form (a stored response).</summary>
    public static RouteOutcome? Read(AdditionalPropertiesDictionary? properties) =>
        properties is null || !properties.TryGetValue(RequestState.OutcomePropertyKey, out var value) ? null : Parse(value);

    private static RouteOutcome? Parse(object? value) =>
        value as RouteOutcome ?? (value is System.Text.Json.JsonElement json ? StoredRouteOutcome.Parse(json) : null);

    /// <summary>Whether two outcomes are the same turn: the same object, or the same turn read twice from a stored response.</summary>
    private static bool SameTurn(RouteOutcome a, RouteOutcome b) =>
        ReferenceEquals(a, b) || (a.StartedAt == b.StartedAt && a.Duration == b.Duration && a.Attempts == b.Attempts && a.Backend == b.Backend);

    private static void AddTurn(ref List<RouteOutcome>? turns, RouteOutcome turn, RouteOutcome? last)
    {
        if (last is not null && SameTurn(turn, last))
        {
            return;
        }

        turns ??= [];
        foreach (var known in turns)
        {
            if (SameTurn(known, turn))
            {
                return;
            }
        }

        turns.Add(turn);
    }

    /// <summary>Reads the outcome of a response: its own, summed with those of earlier turns its messages carry.</summary>
    public static RouteOutcome? Read(ChatResponse response)
    {
        var last = Read(response.AdditionalProperties);
        List<RouteOutcome>? turns = null;
        foreach (var message in response.Messages)
        {
            if (Read(message.AdditionalProperties) is { } turn)
            {
                AddTurn(ref turns, turn, last);
            }
        }

        // Streamed turns that asked for tools, gathered by ToChatResponse (see CarrierUpdate).
        if (response.AdditionalProperties is { Count: > 1 } properties)
        {
            foreach (var (key, value) in properties)
            {
                if (key.StartsWith(TurnKeyPrefix, StringComparison.Ordinal) && Parse(value) is { } turn)
                {
                    AddTurn(ref turns, turn, last);
                }
            }
        }

        if (turns is null)
        {
            return last;
        }

        if (last is not null)
        {
            turns.Add(last);
        }

        return turns.Count == 1 ? turns[0] : Sum(turns);
    }

    private static RouteOutcome Sum(List<RouteOutcome> turns)
    {
        var last = turns[^1];
        int attempts = 0, validationFailures = 0;
        long input = 0, output = 0, baselineInput = 0, baselineOutput = 0;
        double cost = 0, baseline = 0;
        var baselineExact = true;
        var duration = TimeSpan.Zero;
        var cached = true;
        foreach (var turn in turns)
        {
            attempts += turn.Attempts;
            validationFailures += turn.ValidationFailures;
            input += turn.InputTokens;
            output += turn.OutputTokens;
            cost += turn.CostUsd;
            baseline += turn.CloudBaselineCostUsd;
            baselineInput += turn.CloudBaselineInputTokens;
            baselineOutput += turn.CloudBaselineOutputTokens;
            baselineExact &= turn.CloudBaselineTokensExact;
            duration += turn.Duration;
            cached &= turn.ServedFromCache;
        }

        return new RouteOutcome
        {
            Target = last.Target,
            Backend = last.Backend,
            Model = last.Model,
            Category = last.Category,
            Decision = last.Decision,
            DecisionReason = last.DecisionReason,
            Attempts = attempts,
            EscalationReason = last.EscalationReason,
            ValidationFailures = validationFailures,
            EstimatedPromptTokens = last.EstimatedPromptTokens,
            PromptTokensExact = last.PromptTokensExact,
            InputTokens = input,
            OutputTokens = output,
            CostUsd = cost,
            CloudBaselineCostUsd = baseline,
            CloudBaselineInputTokens = baselineInput,
            CloudBaselineOutputTokens = baselineOutput,
            CloudBaselineTokensExact = baselineExact,
            Duration = duration,
            OutputCommitted = last.OutputCommitted,
            Failed = last.Failed,
            StartedAt = turns[0].StartedAt,
            JsonRequired = last.JsonRequired,
            SensitiveTopic = last.SensitiveTopic,
            History = last.History,
            DataPolicy = last.DataPolicy,
            ToolLoopMovedFrom = last.ToolLoopMovedFrom,
            RequiredCapabilities = last.RequiredCapabilities,
            NoCapableLocalModel = last.NoCapableLocalModel,
            ServedFromCache = cached,
            Turns = [.. turns],
        };
    }

    private static EscalationReason ToEscalation(RouteReason reason) => reason switch
    {
        RouteReason.Category => EscalationReason.Category,
        RouteReason.ContextLimit => EscalationReason.ContextLimit,
        RouteReason.CircuitOpen or RouteReason.CircuitRecovering => EscalationReason.CircuitOpen,
        RouteReason.ToolLoop => EscalationReason.ToolLoop,
        RouteReason.NoCapableLocalModel => EscalationReason.NoCapableLocalModel,
        RouteReason.RequestedModel or RouteReason.Deferred => EscalationReason.None,
        _ => EscalationReason.Policy,
    };
}
