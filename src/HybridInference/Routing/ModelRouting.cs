using HybridInference.Pools;
using Microsoft.Extensions.AI;

namespace HybridInference.Routing;

/// <summary>
/// The router's choice of local model, as pure functions of the profile, the decision so far, the lanes' states and
/// the models the lanes serve (read once when the router is built): the best-suited local model for the task, the
/// cloud when none is fit and the request may leave, and the model a caller asked for by name.
/// </summary>
internal static class ModelRouting
{
    /// <summary>Chooses the local models a request decided for the local lane may run on.</summary>
    /// <param name="profile">The request's profile (what it needs: <see cref="TaskProfile.RequiredCapabilities"/>).</param>
    /// <param name="decision">The decision of the rules and constraints.</param>
    /// <param name="lanes">The lanes' states now.</param>
    /// <param name="models">The local lane's models, with capabilities or quantizations declared.</param>
    /// <returns>
    /// The decision (to the cloud with <see cref="RouteReason.NoCapableLocalModel"/> when no local model is fit and the
    /// request may leave), the models to try, and whether the request runs on a model not fit for it because it must stay local.
    /// </returns>
    public static (RouteDecision Decision, ModelChoice? Models, bool Unfit) Choose(TaskProfile profile, RouteDecision decision, in LaneStates lanes, LocalModelCatalog models)
    {
        // A cloud decision keeps the local choice too: the work it sends may be answered locally after all, when the
        // cloud cannot take it (Routing:OnCloudUnavailable), and then on the model best suited to it.
        var choice = models.Choose(profile.RequiredCapabilities, profile.Category);
        if (decision.Target != RouteTarget.Local)
        {
            return (decision, choice.Fitting > 0 ? choice : null, false);
        }

        if (choice.Fitting > 0)
        {
            return (decision, choice, false);
        }

        // Sent local because the cloud cannot take it now (its breaker, its budget): it stays, on the best model there is.
        var mayLeave = profile.DataPolicy != DataPolicy.LocalOnly && lanes.HasCloud && !lanes.CloudRejecting
            && decision.Reason is not (RouteReason.CloudCircuitOpen or RouteReason.CloudRateLimited);
        return mayLeave
            ? (new RouteDecision(RouteTarget.Cloud, RouteReason.NoCapableLocalModel), null, false)
            : (decision, choice, true);
    }

    /// <summary>Decides the lane of a request that names its model (<c>ChatOptions.ModelId</c>).</summary>
    /// <param name="requested">The model asked for.</param>
    /// <param name="profile">The request's profile.</param>
    /// <param name="local">The local lane's models, if known.</param>
    /// <param name="cloudModels">The models of the cloud backends (null entries: a backend that names none).</param>
    /// <returns>The decision and the local model, or <see langword="null"/> when no backend names the model but some name none (the rules decide).</returns>
    /// <exception cref="ModelNotServedException">No backend serves the model, or only a cloud backend does and the request is local-only.</exception>
    public static (RouteDecision Decision, ModelChoice? Models)? Requested(string requested, TaskProfile profile, LocalModelCatalog? local, string?[] cloudModels)
    {
        if (local is not null && local.TryFind(requested, out var choice))
        {
            return (new RouteDecision(RouteTarget.Local, RouteReason.RequestedModel), choice);
        }

        var unnamed = local is null;
        foreach (var model in local?.Models ?? [])
        {
            unnamed |= model.Name is null;
        }

        foreach (var model in cloudModels)
        {
            if (string.Equals(model, requested, StringComparison.OrdinalIgnoreCase))
            {
                return profile.DataPolicy == DataPolicy.LocalOnly
                    ? throw new ModelNotServedException(requested, $"The requested model '{requested}' is served only by a cloud backend, and the request is local-only; ask for a local model ({Served(local, [])}) or none.")
                    : (new RouteDecision(RouteTarget.Cloud, RouteReason.RequestedModel), null);
            }

            unnamed |= model is null;
        }

        return unnamed
            ? null
            : throw new ModelNotServedException(requested, $"No backend serves the requested model '{requested}'; the models served are {Served(local, cloudModels)}.");
    }

    private static string Served(LocalModelCatalog? local, string?[] cloudModels)
    {
        var names = new List<string>();
        foreach (var model in local?.Models ?? [])
        {
            names.Add($"'{model.Name}' (local)");
        }

        foreach (var model in cloudModels)
        {
            names.Add($"'{model}' (cloud)");
        }

        return names.Count == 0 ? "none" : string.Join(", ", names);
    }

    /// <summary>The model names of the cloud lane's backends (for a requested model), or none when the lane has no pool.</summary>
    /// <param name="cloudLane">The cloud lane, if any.</param>
    /// <returns>The names, one per backend (<see langword="null"/> for a backend that names none).</returns>
    public static string?[] CloudModels(IChatClient? cloudLane) =>
        cloudLane?.GetService<BackendPoolChatClient>() is { Lane: BackendLane.Cloud } cloudPool ? [.. cloudPool.Backends.Select(b => b.Info.Model)] : [];
}
