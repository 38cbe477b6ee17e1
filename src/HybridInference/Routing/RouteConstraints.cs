using HybridInference.Internal;

namespace HybridInference.Routing;

/// <summary>
/// The rules no routing policy may override, as one pure function from the profile, the policy's preference and the
/// lanes' states to the decision. Constraints beat preferences: local-only data and offline mode stay local; a tool loop
/// keeps the lane it runs on unless that lane cannot take it; then the lanes' health and the cloud budget move what may move.
/// </summary>
internal static class RouteConstraints
{
    /// <summary>The golden ratio's fraction: request numbers times it spread evenly over [0, 1).</summary>
    private const double Spread = 0.6180339887498949;

    /// <summary>Decides where a request goes.</summary>
    /// <param name="profile">The request's profile.</param>
    /// <param name="preferred">The routing policy's preference.</param>
    /// <param name="lanes">The lanes' states now.</param>
    /// <param name="sequence">The request's number; during the recovery ramp it picks, evenly spread, which requests the local lane takes.</param>
    /// <param name="loop">The lane of the tool loop the request continues (<see cref="RequestState.ToolLoop"/>), if any.</param>
    /// <param name="categoryDegrades">
    /// Whether <c>Routing:OnCloudUnavailable</c> lets the request's category run locally when the cloud cannot take it;
    /// when not, it goes to the cloud whatever the cloud's state, to fail there with <see cref="CloudUnavailableException"/>.
    /// </param>
    /// <exception cref="ContextWindowExceededException">The request must run locally and fits no local window.</exception>
    public static RouteDecision Decide(TaskProfile profile, RouteDecision preferred, in LaneStates lanes, long sequence, BackendLane? loop = null, bool categoryDegrades = true)
    {
        var toCloud = preferred.Target == RouteTarget.Cloud;
        if (profile.DataPolicy == DataPolicy.LocalOnly || !lanes.HasCloud)
        {
            if (lanes.LargestLocalWindow is { } window && profile.RequiredContextTokens > window)
            {
                throw new ContextWindowExceededException(profile.RequiredContextTokens, window);
            }

            return toCloud
                ? new RouteDecision(RouteTarget.Local, profile.DataPolicy == DataPolicy.LocalOnly ? RouteReason.LocalOnly : RouteReason.NoCloudBackend)
                : loop == BackendLane.Local ? new RouteDecision(RouteTarget.Local, RouteReason.ToolLoop)
                : preferred;
        }

        if (loop is { } lane)
        {
            return ContinueLoop(lane, preferred, lanes);
        }

        // Sent to the cloud by its category or a policy, not its size: it may run locally when the cloud cannot take it.
        // One too long for every local window stays on the cloud path: if the cloud fails it, its history is fitted then.
        var mayRunLocally = toCloud && categoryDegrades && preferred.Reason is RouteReason.Category or RouteReason.Policy
            && (lanes.LargestLocalWindow is not { } largest || profile.RequiredContextTokens <= largest);
        if (mayRunLocally && lanes.CloudRejecting && !lanes.LocalRejecting)
        {
            return new RouteDecision(RouteTarget.Local, RouteReason.CloudCircuitOpen);
        }

        if (mayRunLocally && !lanes.CloudHasRoom)
        {
            return new RouteDecision(RouteTarget.Local, RouteReason.CloudRateLimited);
        }

        if (!toCloud && lanes.LocalRejecting)
        {
            return new RouteDecision(RouteTarget.Cloud, RouteReason.CircuitOpen);
        }

        if (!toCloud && lanes.LocalShare < 1 && (sequence * Spread) % 1 >= lanes.LocalShare)
        {
            return new RouteDecision(RouteTarget.Cloud, RouteReason.CircuitRecovering);
        }

        return preferred;
    }

    /// <summary>
    /// A turn of a tool loop stays on the loop's lane, whatever its category, the policy or the recovery ramp prefer:
    /// a loop is finished by the model that planned it. It moves (as a whole: its next calls are then made there) only
    /// when its lane cannot take it: too large for the local limit, that lane's breaker open, or no room in the cloud budget.
    /// </summary>
    private static RouteDecision ContinueLoop(BackendLane lane, RouteDecision preferred, in LaneStates lanes)
    {
        if (preferred.Reason == RouteReason.ContextLimit)
        {
            return preferred; // The local limit is a fact, not a preference; the loop stays on the cloud or moves there.
        }

        if (lane == BackendLane.Local)
        {
            return lanes.LocalRejecting && !lanes.CloudRejecting
                ? new RouteDecision(RouteTarget.Cloud, RouteReason.CircuitOpen)
                : new RouteDecision(RouteTarget.Local, RouteReason.ToolLoop);
        }

        return lanes.CloudRejecting && !lanes.LocalRejecting ? new RouteDecision(RouteTarget.Local, RouteReason.CloudCircuitOpen)
            : !lanes.CloudHasRoom ? new RouteDecision(RouteTarget.Local, RouteReason.CloudRateLimited)
            : new RouteDecision(RouteTarget.Cloud, RouteReason.ToolLoop);
    }

    /// <summary>
    /// Whether a request the cloud failed (before any output, in a way that says it is away) is answered locally:
    /// <see langword="null"/> when it is, else why not, in words for its <see cref="CloudUnavailableException"/>. The
    /// size asked about is what history fitting could reach: the profile after fitting, when the request was fitted.
    /// </summary>
    /// <param name="profile">The request's profile (with the reduced prompt's size when its history was fitted).</param>
    /// <param name="categoryDegrades">Whether <c>Routing:OnCloudUnavailable</c> lets its category degrade.</param>
    /// <param name="localRejecting">Whether the local breaker would reject a call now.</param>
    /// <param name="largestLocalWindow">The largest known local context window, if any is known.</param>
    /// <param name="historyFitted">Whether history fitting tried to reduce the request to that window (it is on, and the request was too long).</param>
    public static string? WhyNotDegraded(TaskProfile profile, bool categoryDegrades, bool localRejecting, int? largestLocalWindow, bool historyFitted = false) =>
        !categoryDegrades ? $"HybridInference:Routing:OnCloudUnavailable:{profile.Category} is {CloudUnavailableAction.Fail}"
        : profile.DataPolicy == DataPolicy.LocalOnly ? "it is local-only" // never sent to the cloud: listed for completeness
        : localRejecting ? "the local circuit breaker is open too"
        : largestLocalWindow is { } window && profile.RequiredContextTokens > window
            ? $"it needs {profile.RequiredContextTokens} tokens (prompt and output budget), more than the largest local context window ({window}), "
              + (historyFitted
                  ? "even with its history reduced: its last turn (the last user message and what follows it) alone does not fit"
                  : "and its history was not reduced (HybridInference:Local:History:Mode is Off)")
        : null;
}
