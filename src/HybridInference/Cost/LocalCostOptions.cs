using System.ComponentModel.DataAnnotations;

namespace HybridInference;

/// <summary>
/// What local inference costs (configuration section <c>HybridInference:LocalCost</c>), for local models with no
/// entry in <c>HybridInference:Pricing</c>. Everything defaults to zero: hardware already paid for.
/// </summary>
public sealed class LocalCostOptions
{
    /// <summary>Gets or sets the price of a million local input tokens in US dollars. Default 0.</summary>
    [Range(0.0, double.MaxValue)]
    public double InputPerMillionTokens { get; set; }

    /// <summary>Gets or sets the price of a million local output tokens in US dollars. Default 0.</summary>
    [Range(0.0, double.MaxValue)]
    public double OutputPerMillionTokens { get; set; }

    /// <summary>Gets or sets the price of one second of local GPU time (measured as the attempt's duration) in US dollars. Default 0.</summary>
    [Range(0.0, double.MaxValue)]
    public double PerGpuSecond { get; set; }
}
