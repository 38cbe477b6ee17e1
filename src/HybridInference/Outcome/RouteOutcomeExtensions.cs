using HybridInference.Internal;
using Microsoft.Extensions.AI;

namespace HybridInference;

/// <summary>Reads the <see cref="RouteOutcome"/> that the hybrid client attaches to its responses.</summary>
public static class RouteOutcomeExtensions
{
    /// <summary>Gets the outcome of the request that produced <paramref name="response"/>.</summary>
    /// <param name="response">A response returned by the hybrid client.</param>
    /// <returns>
    /// The outcome, or <see langword="null"/> when the response did not come through the cost meter. For a response
    /// gathered over several calls (a function-invocation loop), the sum of every call's outcome, listed in
    /// <see cref="RouteOutcome.Turns"/>; for a stored response (a cache hit), one with <see cref="RouteOutcome.ServedFromCache"/> set.
    /// </returns>
    public static RouteOutcome? GetRouteOutcome(this ChatResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        return RouteOutcomes.Read(response);
    }

    /// <summary>Gets the outcome from a streaming update; the hybrid client attaches it to the last update of a stream.</summary>
    /// <param name="update">An update returned by the hybrid client.</param>
    /// <returns>The outcome, or <see langword="null"/> for every update but the last.</returns>
    public static RouteOutcome? GetRouteOutcome(this ChatResponseUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        return RouteOutcomes.Read(update.AdditionalProperties);
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
        return exception.Data[RequestState.OutcomePropertyKey] as RouteOutcome;
    }
}
