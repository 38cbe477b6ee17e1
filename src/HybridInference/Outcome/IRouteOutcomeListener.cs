namespace HybridInference;

/// <summary>
/// Hears of every request the hybrid client finishes, answered or failed, with its <see cref="RouteOutcome"/>: the
/// hook for record-keeping such as the SQLite cost ledger. Register implementations in the services; the cost meter
/// calls each one once per request, on the request's own path, so an implementation must return at once (queue the
/// outcome, never write it there) and must not throw.
/// </summary>
public interface IRouteOutcomeListener
{
    /// <summary>Called once when a request has finished.</summary>
    /// <param name="outcome">What happened to the request; <see cref="RouteOutcome.Failed"/> tells a failure.</param>
    void OnRequestFinished(RouteOutcome outcome);
}
