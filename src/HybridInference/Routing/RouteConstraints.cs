namespace HybridInference.Routing;

/// <summary>
/// The rules no routing policy may override, as one pure function from the profile, the policy's preference and the
/// lanes' states to the decision. Constraints beat preferences: local-only data and offline mode stay local; then the
/// lanes' health and the cloud budget move what may move.
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
    /// <exception cref="ContextWindowExceededException">The request must run locally and fits no local window.</exception>
    public static RouteDecision Decide(TaskProfile profile, RouteDecision preferred, in LaneStates lanes, long sequence)
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
                : preferred;
        }

        // Sent to the cloud by its category or a policy, not its size: it may run locally when the cloud cannot take it.
        var mayRunLocally = toCloud && preferred.Reason is RouteReason.Category or RouteReason.Policy;
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
}
