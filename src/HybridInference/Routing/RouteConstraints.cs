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
    /// <param name="categoryDegrades">
    /// Whether <c>Routing:OnCloudUnavailable</c> lets the request's category run locally when the cloud cannot take it;
    /// when not, it goes to the cloud whatever the cloud's state, to fail there with <see cref="CloudUnavailableException"/>.
    /// </param>
    /// <exception cref="ContextWindowExceededException">The request must run locally and fits no local window.</exception>
    public static RouteDecision Decide(TaskProfile profile, RouteDecision preferred, in LaneStates lanes, long sequence, bool categoryDegrades = true)
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
        var mayRunLocally = toCloud && categoryDegrades && preferred.Reason is RouteReason.Category or RouteReason.Policy;
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
    /// Whether a request the cloud failed (before any output, in a way that says it is away) is answered locally:
    /// <see langword="null"/> when it is, else why not, in words for its <see cref="CloudUnavailableException"/>.
    /// </summary>
    /// <param name="profile">The request's profile.</param>
    /// <param name="categoryDegrades">Whether <c>Routing:OnCloudUnavailable</c> lets its category degrade.</param>
    /// <param name="localRejecting">Whether the local breaker would reject a call now.</param>
    /// <param name="largestLocalWindow">The largest known local context window, if any is known.</param>
    public static string? WhyNotDegraded(TaskProfile profile, bool categoryDegrades, bool localRejecting, int? largestLocalWindow) =>
        !categoryDegrades ? $"HybridInference:Routing:OnCloudUnavailable:{profile.Category} is {CloudUnavailableAction.Fail}"
        : profile.DataPolicy == DataPolicy.LocalOnly ? "it is local-only" // never sent to the cloud: listed for completeness
        : localRejecting ? "the local circuit breaker is open too"
        : largestLocalWindow is { } window && profile.RequiredContextTokens > window
            ? $"it needs {profile.RequiredContextTokens} tokens (prompt and output budget), more than the largest local context window ({window})"
        : null;
}
