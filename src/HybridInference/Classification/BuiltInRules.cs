namespace HybridInference.Classification;

/// <summary>
/// The keyword rules that apply when <see cref="ClassificationOptions.UseBuiltInRules"/> is on: they follow the
/// decision matrix of the hybrid inference pattern (reasoning, debugging and legal analysis to the cloud; medical,
/// legal-advice and safety questions to the cloud as safety-critical). Conservative on purpose: each word should
/// rarely appear in routine work.
/// </summary>
internal static class BuiltInRules
{
    public static readonly string[] SafetyCritical =
    [
        "diagnos*", "dosage", "overdos*", "contraindicat*", "prescri*", "medication*", "drug interaction*",
        "legal advice", "liabilit*", "lawsuit*", "safety-critical", "safety critical", "life-threatening",
        "suicid*", "self-harm",
    ];

    public static readonly string[] Complex =
    [
        "step by step", "step-by-step", "multi-step", "reason through", "prove", "proof", "derive",
        "debug*", "root cause", "stack trace", "refactor*", "architecture", "algorithm*", "trade-offs",
        "tradeoffs", "legal analysis",
    ];
}
