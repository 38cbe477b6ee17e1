namespace HybridInference.Pools;

/// <summary>Reads quantization names as servers and model hubs spell them, and says what each may be used for.</summary>
internal static class Quantizations
{
    /// <summary>The tiers: low-bit (Q2, Q3) for routine work only; Q4_0 to Q4_K_S not for reasoning or code; Q4_K_M and better for anything.</summary>
    public enum QuantizationTier
    {
        /// <summary>Q2_K and the Q3 kinds: only routine tasks that need nothing of the model.</summary>
        LowBit = 0,

        /// <summary>Q4_0, Q4_1, Q4_K_S: not for reasoning, extraction or code.</summary>
        Middle = 1,

        /// <summary>Q4_K_M and better (AWQ and GPTQ, 4-bit methods that keep Q4_K_M's quality, included), or not declared.</summary>
        Full = 2,
    }

    /// <summary>The names this version knows, as the error for an unknown one lists them.</summary>
    public const string Known = "Q2_K, Q3_K_S, Q3_K_M, Q3_K_L, Q4_0, Q4_1, Q4_K_S, Q4_K_M, Q5_0, Q5_1, Q5_K_S, Q5_K_M, Q6_K, Q8_0, F16 (FP16), BF16, F32 (FP32), AWQ, GPTQ, INT8, INT4";

    /// <summary>Reads a quantization name: case-insensitive, with or without <c>_</c>, <c>-</c>, <c>.</c> or spaces (<c>q4_k_m</c>, <c>Q4-K-M</c>, <c>Q4KM</c>, <c>fp16</c>).</summary>
    /// <param name="text">The name.</param>
    /// <param name="level">The quantization.</param>
    /// <returns>Whether the name is known.</returns>
    public static bool TryParse(string? text, out QuantizationLevel level)
    {
        level = QuantizationLevel.Unknown;
        if (string.IsNullOrWhiteSpace(text) || text.Length > 32)
        {
            return false;
        }

        Span<char> buffer = stackalloc char[32];
        var length = 0;
        foreach (var c in text)
        {
            if (char.IsAsciiLetterOrDigit(c))
            {
                buffer[length++] = char.ToUpperInvariant(c);
            }
            else if (c is not ('_' or '-' or '.' or ' '))
            {
                return false;
            }
        }

        level = buffer[..length] switch
        {
            "Q2K" or "Q2KS" or "Q2" => QuantizationLevel.Q2_K,
            "Q3KS" => QuantizationLevel.Q3_K_S,
            "Q3KM" or "Q3K" or "Q3" => QuantizationLevel.Q3_K_M,
            "Q3KL" => QuantizationLevel.Q3_K_L,
            "Q40" or "INT4" or "4BIT" => QuantizationLevel.Q4_0,
            "Q41" => QuantizationLevel.Q4_1,
            "Q4KS" => QuantizationLevel.Q4_K_S,
            "Q4KM" or "Q4K" => QuantizationLevel.Q4_K_M,
            "AWQ" => QuantizationLevel.AWQ,
            "GPTQ" => QuantizationLevel.GPTQ,
            "Q50" => QuantizationLevel.Q5_0,
            "Q51" => QuantizationLevel.Q5_1,
            "Q5KS" => QuantizationLevel.Q5_K_S,
            "Q5KM" or "Q5K" => QuantizationLevel.Q5_K_M,
            "Q6K" or "Q6" => QuantizationLevel.Q6_K,
            "Q80" or "Q8" or "INT8" or "8BIT" => QuantizationLevel.Q8_0,
            "F16" or "FP16" or "FLOAT16" => QuantizationLevel.F16,
            "BF16" => QuantizationLevel.BF16,
            "F32" or "FP32" or "FLOAT32" => QuantizationLevel.F32,
            _ => QuantizationLevel.Unknown,
        };
        return level != QuantizationLevel.Unknown;
    }

    /// <summary>The tier of a quantization; one not declared is <see cref="QuantizationTier.Full"/> (nothing is assumed against it).</summary>
    public static QuantizationTier Tier(QuantizationLevel level) => level switch
    {
        QuantizationLevel.Unknown => QuantizationTier.Full,
        < QuantizationLevel.Q4_0 => QuantizationTier.LowBit,
        < QuantizationLevel.Q4_K_M => QuantizationTier.Middle,
        _ => QuantizationTier.Full,
    };

    /// <summary>The rank used to order models by quality: an undeclared quantization ranks as Q4_K_M.</summary>
    public static int Rank(QuantizationLevel level) => level == QuantizationLevel.Unknown ? (int)QuantizationLevel.Q4_K_M : (int)level;
}
