namespace HybridInference.Pools;

/// <summary>
/// A local model's quantization (<c>Local:Backends:N:Quantization</c>), ordered by the quality it keeps: each value's
/// tier says which tasks the model may take (<see cref="Quantizations.Tier"/>).
/// </summary>
internal enum QuantizationLevel
{
    /// <summary>Not declared: nothing is assumed, the model may take any task.</summary>
    Unknown = 0,
    Q2_K = 10,
    Q3_K_S = 20,
    Q3_K_M = 21,
    Q3_K_L = 22,
    Q4_0 = 30,
    Q4_1 = 31,
    Q4_K_S = 32,
    Q4_K_M = 40,
    AWQ = 41,
    GPTQ = 42,
    Q5_0 = 50,
    Q5_1 = 51,
    Q5_K_S = 52,
    Q5_K_M = 53,
    Q6_K = 60,
    Q8_0 = 70,
    F16 = 80,
    BF16 = 81,
    F32 = 90,
}
