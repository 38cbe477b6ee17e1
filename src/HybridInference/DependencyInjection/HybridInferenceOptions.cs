using Microsoft.Extensions.Options;

namespace HybridInference;

/// <summary>All settings of the hybrid client; bound from the configuration section <c>HybridInference</c>.</summary>
public sealed class HybridInferenceOptions
{
    /// <summary>The name of the configuration section these options are usually bound from.</summary>
    public const string SectionName = "HybridInference";

    /// <summary>
    /// Gets or sets a value indicating whether keys under the configuration section that nothing reads (a typo such as
    /// <c>Routing:LocalContextLimt</c>, or a key this version does not support) are allowed. Default
    /// <see langword="false"/>: each stops start-up, named in full with the nearest known key. <see langword="true"/>:
    /// they are ignored, and logged once as a warning. Only configuration is checked; options set in code have no
    /// unknown keys.
    /// </summary>
    public bool AllowUnknownKeys { get; set; }

    /// <summary>Gets the routing, fallback and circuit-breaker settings.</summary>
    [ValidateObjectMembers]
    public RoutingOptions Routing { get; } = new();

    /// <summary>Gets how local JSON answers are read and checked.</summary>
    public ValidationOptions Validation { get; } = new();

    /// <summary>Gets the classification rules.</summary>
    [ValidateObjectMembers]
    public ClassificationOptions Classification { get; } = new();

    /// <summary>Gets the local backends.</summary>
    [ValidateObjectMembers]
    public LocalLaneOptions Local { get; } = new();

    /// <summary>Gets the cloud backends.</summary>
    [ValidateObjectMembers]
    public CloudLaneOptions Cloud { get; } = new();

    /// <summary>Gets the price table, keyed by model name (case-insensitive).</summary>
    public IDictionary<string, ModelPrice> Pricing { get; } = new Dictionary<string, ModelPrice>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Gets the cost of local inference for local models not in <see cref="Pricing"/>.</summary>
    [ValidateObjectMembers]
    public LocalCostOptions LocalCost { get; } = new();

    /// <summary>Gets what happens to requests that contain personal data.</summary>
    public PrivacyOptions Privacy { get; } = new();

    /// <summary>Gets the settings of "local first pass, cloud refinement" and its outbox.</summary>
    [ValidateObjectMembers]
    public RefinementOptions Refinement { get; } = new();

    /// <summary>Gets the telemetry and record-keeping settings.</summary>
    [ValidateObjectMembers]
    public ObservabilityOptions Observability { get; } = new();

    /// <summary>Gets the settings of tool-loop affinity: the turns of a function-invocation loop keep their lane and backend.</summary>
    [ValidateObjectMembers]
    public ToolLoopOptions ToolLoops { get; } = new();
}
