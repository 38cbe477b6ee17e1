using HybridInference.Internal;
using Microsoft.Extensions.AI;

namespace HybridInference;

/// <summary>Reads the <see cref="RouteOutcome"/> that the hybrid client attaches to its responses.</summary>
public static class RouteOutcomeExtensions
{
    /// <summary>Gets the outcome of the request that produced <paramref name="response"/>.</summary>
    /// <param name="response">A response returned by the hybrid client.</param>
    /// <returns>The outcome, or <see langword="null"/> when the response did not come through the cost meter.</returns>
    public static RouteOutcome? GetRouteOutcome(this ChatResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        return Find(response.AdditionalProperties);
    }

    /// <summary>Gets the outcome from a streaming update; the hybrid client attaches it to the last update of a stream.</summary>
    /// <param name="update">An update returned by the hybrid client.</param>
    /// <returns>The outcome, or <see langword="null"/> for every update but the last.</returns>
    public static RouteOutcome? GetRouteOutcome(this ChatResponseUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        return Find(update.AdditionalProperties);
    }

    /// <summary>
    /// Gets the outcome of a request that failed: the hybrid client attaches it to the exception it throws (in
    /// <see cref="Exception.Data"/>), with what the attempts cost and whether output had reached the caller.
    /// </summary>
    /// <param name="exception">An exception thrown by the hybrid client.</param>
    /// <returns>The outcome, or <see langword="null"/> when the exception did not come through the cost meter.</returns>
    public static RouteOutcome? GetRouteOutcome(this Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception.Data[HybridRequest.OutcomePropertyKey] as RouteOutcome;
    }

    private static RouteOutcome? Find(AdditionalPropertiesDictionary? properties) =>
        properties is not null && properties.TryGetValue(HybridRequest.OutcomePropertyKey, out var value)
            ? value as RouteOutcome
            : null;
}
