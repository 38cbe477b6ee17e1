namespace HybridInference;

/// <summary>How demanding a task is; the router's main signal for choosing local or cloud.</summary>
public enum TaskCategory
{
    /// <summary>Summarization, classification, extraction, translation: a local model is good enough.</summary>
    Routine = 0,

    /// <summary>Multi-step reasoning, code, analysis: sent to the cloud by the default rules.</summary>
    Complex = 1,

    /// <summary>Answers whose errors are costly (medical, legal, safety): sent to the cloud by the default rules.</summary>
    SafetyCritical = 2,
}
