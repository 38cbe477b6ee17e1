using Microsoft.Extensions.Options;

namespace HybridInference;

/// <summary>The local backends (configuration section <c>HybridInference:Local</c>).</summary>
public sealed class LocalLaneOptions
{
    /// <summary>Gets the local backends, tried in order; at least one local backend is required (here or by code).</summary>
    [ValidateEnumeratedItems]
    public IList<BackendOptions> Backends { get; } = [];
}
