using System.ComponentModel.DataAnnotations;
using HybridInference.Internal;

namespace HybridInference;

/// <summary>Telemetry and record-keeping settings (configuration section <c>HybridInference:Observability</c>).</summary>
public sealed class ObservabilityOptions
{
    /// <summary>Gets or sets how many days of cost records are kept. Default 90; 1 to 36500.</summary>
    [Range(1, 36500)]
    public int RetentionDays { get; set; } = Defaults.RetentionDays;

    /// <summary>
    /// Gets or sets a value indicating whether prompts and completions may appear in logs (at Trace level only) and traces.
    /// Default <see langword="false"/>: they hold users' data.
    /// </summary>
    public bool CaptureMessageContent { get; set; }
}
