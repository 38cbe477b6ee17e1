namespace HybridInference.Classification;

/// <summary>
/// The built-in signs of what a task needs of a local model, read only while a local backend declares capabilities or a
/// quantization: code in the prompt, reasoning or extraction, tagging and classification. Tools offered and images are
/// read from the request itself.
/// </summary>
internal static class CapabilityRules
{
    /// <summary>A fenced code block anywhere in the prompt.</summary>
    public const string CodePattern = "```";

    public static readonly string[] Code =
    [
        "code", "coding", "function", "snippet", "compile*", "compiler", "regex", "sql query", "python", "javascript",
        "typescript", "java", "golang", "rust", "bash script", "shell script", "unit test*", "c# method", "c# class",
        "write a program", "source file",
    ];

    public static readonly string[] Reasoning =
    [
        "extract*", "reason*", "analy*", "explain why", "solve", "calculate", "deduce", "infer", "compare",
    ];

    public static readonly string[] Classification =
    [
        "classify", "classif*", "categori*", "tag", "tags", "tagging", "label", "labels", "sentiment", "keyword*",
    ];
}
