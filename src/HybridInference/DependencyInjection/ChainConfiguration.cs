using Microsoft.Extensions.AI;

namespace HybridInference.DependencyInjection;

/// <summary>The user's middleware for the chain built from the services: around the whole chain, inside each lane, around each backend.</summary>
internal sealed class ChainConfiguration
{
    /// <summary>Gets the actions that add middleware around the whole chain, in the order they were registered.</summary>
    public List<Action<ChatClientBuilder>> Chat { get; } = [];

    /// <summary>Gets the actions that add middleware inside the local lane, around its pool.</summary>
    public List<Action<ChatClientBuilder>> LocalLane { get; } = [];

    /// <summary>Gets the actions that add middleware inside the cloud lane, around its pool.</summary>
    public List<Action<ChatClientBuilder>> CloudLane { get; } = [];

    /// <summary>Gets the actions that add middleware around one backend, by backend name (any case).</summary>
    public Dictionary<string, List<Action<ChatClientBuilder>>> Backends { get; } = new(StringComparer.OrdinalIgnoreCase);
}
