using System.ComponentModel.DataAnnotations;

namespace HybridInference;

/// <summary>What a model costs, in US dollars per million tokens (an entry of <c>HybridInference:Pricing</c>).</summary>
public sealed class ModelPrice
{
    /// <summary>Gets or sets the price of a million input (prompt) tokens. At least 0.</summary>
    [Range(0.0, double.MaxValue)]
    public double InputPerMillionTokens { get; set; }

    /// <summary>Gets or sets the price of a million output (completion) tokens. At least 0.</summary>
    [Range(0.0, double.MaxValue)]
    public double OutputPerMillionTokens { get; set; }
}
