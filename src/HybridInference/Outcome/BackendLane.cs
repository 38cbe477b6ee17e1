namespace HybridInference;

/// <summary>Which side of the hybrid deployment a backend belongs to.</summary>
public enum BackendLane
{
    /// <summary>A backend on the organisation's own hardware (vLLM, Ollama, llama.cpp, ...).</summary>
    Local = 0,

    /// <summary>A paid cloud API (OpenAI, Anthropic, ...).</summary>
    Cloud = 1,
}
