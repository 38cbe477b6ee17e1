using HybridInference.Internal;

namespace HybridInference.Pools;

/// <summary>One local model and the backends that serve it.</summary>
/// <param name="Name">The model (<see cref="BackendInfo.Model"/>), null for backends that name none.</param>
/// <param name="Capabilities">What its backends declare it good for.</param>
/// <param name="Quantization">Its quantization, as its first backend declares it.</param>
/// <param name="Backends">Its backends' indexes in the pool, in configuration order.</param>
internal sealed record LocalModel(string? Name, ModelCapabilities Capabilities, QuantizationLevel Quantization, int[] Backends);
