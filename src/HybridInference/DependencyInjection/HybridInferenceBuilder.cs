using HybridInference.DependencyInjection;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace HybridInference;

/// <summary>Adds backends to the hybrid client registered by <c>AddHybridInference</c>.</summary>
public sealed class HybridInferenceBuilder
{
    internal HybridInferenceBuilder(IServiceCollection services) => Services = services;

    /// <summary>Gets the service collection the hybrid client is registered in.</summary>
    public IServiceCollection Services { get; }

    /// <summary>Adds a local backend (a server on the organisation's own hardware).</summary>
    /// <param name="name">The backend's unique name; a <c>HybridInference:Local:Backends</c> entry with this name adds its model, context window and weight.</param>
    /// <param name="factory">Creates the backend's client; called once, when the hybrid client is first resolved. The hybrid client owns and disposes it.</param>
    /// <returns>This builder.</returns>
    public HybridInferenceBuilder AddLocalBackend(string name, Func<IServiceProvider, IChatClient> factory) => Add(name, BackendLane.Local, factory);

    /// <summary>Adds a cloud backend; cloud backends are tried in the order they are added.</summary>
    /// <param name="name">The backend's unique name; a <c>HybridInference:Cloud:Backends</c> entry with this name adds its model and context window.</param>
    /// <param name="factory">Creates the backend's client; called once, when the hybrid client is first resolved. The hybrid client owns and disposes it.</param>
    /// <returns>This builder.</returns>
    public HybridInferenceBuilder AddCloudBackend(string name, Func<IServiceProvider, IChatClient> factory) => Add(name, BackendLane.Cloud, factory);

    private HybridInferenceBuilder Add(string name, BackendLane lane, Func<IServiceProvider, IChatClient> factory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(factory);
        Services.AddSingleton(new BackendRegistration(name, lane, factory));
        return this;
    }
}
