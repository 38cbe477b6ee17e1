using Microsoft.Extensions.AI;

namespace HybridInference.DependencyInjection;

/// <summary>A backend added by code with <c>AddLocalBackend</c> or <c>AddCloudBackend</c>.</summary>
/// <param name="Name">The backend's name; configuration under the same name adds its model, window and weight.</param>
/// <param name="Lane">Local or cloud.</param>
/// <param name="Factory">Creates the backend's client.</param>
internal sealed record BackendRegistration(string Name, BackendLane Lane, Func<IServiceProvider, IChatClient> Factory);
