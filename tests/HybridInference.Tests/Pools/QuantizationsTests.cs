using HybridInference.Pools;

namespace HybridInference.Tests.Pools;

/// <summary>Quantization names as servers and hubs spell them, and the tier each gives a model.</summary>
public sealed class QuantizationsTests
{
    [Theory]
    [InlineData("Q4_K_M", "Q4_K_M")]
    [InlineData("q4_k_m", "Q4_K_M")]
    [InlineData("Q4-K-M", "Q4_K_M")]
    [InlineData("Q4KM", "Q4_K_M")]
    [InlineData("Q2_K", "Q2_K")]
    [InlineData("q3_k_s", "Q3_K_S")]
    [InlineData("Q3_K_L", "Q3_K_L")]
    [InlineData("Q4_0", "Q4_0")]
    [InlineData("Q5_K_M", "Q5_K_M")]
    [InlineData("Q6_K", "Q6_K")]
    [InlineData("Q8_0", "Q8_0")]
    [InlineData("int8", "Q8_0")]
    [InlineData("F16", "F16")]
    [InlineData("fp16", "F16")]
    [InlineData("bf16", "BF16")]
    [InlineData("awq", "AWQ")]
    [InlineData("GPTQ", "GPTQ")]
    public void TryParse_UsualSpellings_ReadTheQuantization(string text, string expected)
    {
        Assert.True(Quantizations.TryParse(text, out var level));
        Assert.Equal(Enum.Parse<QuantizationLevel>(expected), level);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Q9_K")]
    [InlineData("Q4/K/M")]
    [InlineData("mistral")]
    public void TryParse_UnknownNames_AreRefused(string text) => Assert.False(Quantizations.TryParse(text, out _));

    [Theory]
    [InlineData("Q2_K", "LowBit")]
    [InlineData("Q3_K_M", "LowBit")]
    [InlineData("Q4_0", "Middle")]
    [InlineData("Q4_K_S", "Middle")]
    [InlineData("Q4_K_M", "Full")]
    [InlineData("AWQ", "Full")]
    [InlineData("GPTQ", "Full")]
    [InlineData("Q8_0", "Full")]
    [InlineData("Unknown", "Full")]
    public void Tier_BelowQ4KM_IsLowBitOrMiddle(string level, string expected) =>
        Assert.Equal(Enum.Parse<Quantizations.QuantizationTier>(expected), Quantizations.Tier(Enum.Parse<QuantizationLevel>(level)));
}
