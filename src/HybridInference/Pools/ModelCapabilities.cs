namespace HybridInference;

/// <summary>
/// What a local model is good for (<c>Local:Backends:N:Capabilities</c>), and what a task needs of one
/// (<see cref="TaskProfile.RequiredCapabilities"/>): the local pool sends each task to the best-suited model.
/// </summary>
/// <remarks>
/// <see cref="Code"/>, <see cref="Tools"/> and <see cref="Vision"/> are required of a model for a task that needs them;
/// <see cref="Reasoning"/>, <see cref="Classification"/> and <see cref="LongContext"/> make a model preferred for such
/// tasks; a model that declares only <see cref="Embeddings"/> takes no chat request.
/// </remarks>
[Flags]
public enum ModelCapabilities
{
    /// <summary>Nothing declared: a general chat model.</summary>
    None = 0,

    /// <summary>Writes and reads program code (a code model); code tasks need it and a quantization of Q4_K_M or better.</summary>
    Code = 1,

    /// <summary>Multi-step reasoning and structured extraction; such tasks need Q4_K_M or better, and prefer a model that declares it.</summary>
    Reasoning = 2,

    /// <summary>Calls tools (function calling); requests that offer tools need it.</summary>
    Tools = 4,

    /// <summary>Reads images; requests with image content need it.</summary>
    Vision = 8,

    /// <summary>A long context window is what the model is for (routing on size follows each backend's <c>ContextWindow</c>).</summary>
    LongContext = 16,

    /// <summary>Produces embeddings; a model that declares only this takes no chat request.</summary>
    Embeddings = 32,

    /// <summary>Keyword tagging and simple classification, the high-volume work a low-bit (Q2_K, Q3) model is meant for; such tasks prefer it.</summary>
    Classification = 64,
}
