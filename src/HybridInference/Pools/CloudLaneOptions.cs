using System.ComponentModel.DataAnnotations;
using HybridInference.Internal;
using Microsoft.Extensions.Options;

namespace HybridInference;

/// <summary>The cloud backends (configuration section <c>HybridInference:Cloud</c>).</summary>
public sealed class CloudLaneOptions
{
    /// <summary>Gets or sets the cloud request budget per minute across all cloud backends. Default 1000; at least 1.</summary>
    [Range(1, int.MaxValue)]
    public int RequestsPerMinute { get; set; } = Defaults.CloudRequestsPerMinute;

    /// <summary>Gets the cloud backends in fallback order; none means offline mode (everything runs locally).</summary>
    [ValidateEnumeratedItems]
    public IList<BackendOptions> Backends { get; } = [];
}
