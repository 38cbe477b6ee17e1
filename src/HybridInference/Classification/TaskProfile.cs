namespace HybridInference;

/// <summary>What the classifier learned about one request; the input of an <see cref="IRoutingPolicy"/>.</summary>
/// <param name="Category">How demanding the task is.</param>
/// <param name="CategorySource">Why the task got that category.</param>
/// <param name="EstimatedPromptTokens">
/// The size of the prompt (all messages, instructions and tools) in tokens: the estimate, or the exact count of the local
/// backend's tokenizer (or of its server, <see cref="IBackendTokenCounter"/>) when the estimate was near a limit the
/// request is routed on (<see cref="PromptTokensExact"/>).
/// </param>
/// <param name="MaxOutputTokens">The output limit the request asks for, if any.</param>
/// <param name="RequiresJson">Whether the request asks for JSON output (<see cref="Microsoft.Extensions.AI.ChatOptions.ResponseFormat"/> is JSON).</param>
/// <param name="DataPolicy">Whether the request's data may leave the machine.</param>
public sealed record TaskProfile(
    TaskCategory Category,
    CategorySource CategorySource,
    int EstimatedPromptTokens,
    int? MaxOutputTokens,
    bool RequiresJson,
    DataPolicy DataPolicy)
{
    /// <summary>
    /// Gets a value indicating whether <see cref="EstimatedPromptTokens"/> is the exact count of the tokenizer of the
    /// local backend the request would go to, or of that backend's server (counted because the estimate was near a
    /// limit), not the estimate.
    /// </summary>
    public bool PromptTokensExact { get; init; }

    /// <summary>
    /// Gets the sensitive topic (<c>Privacy:Topics</c>) the request touches, which made it <see cref="DataPolicy.LocalOnly"/>;
    /// <see langword="null"/> when none was found or none is configured. The topic's name only, never the text matched.
    /// </summary>
    public string? SensitiveTopic { get; init; }

    /// <summary>
    /// Gets what the task needs of a local model (code in the prompt, reasoning or extraction, tools offered, images,
    /// tagging), which the router reads to choose the best-suited local model. Recorded only while a local backend
    /// declares capabilities or a quantization; <see cref="ModelCapabilities.None"/> otherwise.
    /// </summary>
    public ModelCapabilities RequiredCapabilities { get; init; }

    /// <summary>
    /// Gets the output tokens kept free for the answer when the request sets no <see cref="MaxOutputTokens"/>
    /// (<c>Routing:DefaultOutputTokens</c> in a chain built by <c>AddHybridInference</c>; 0 otherwise).
    /// </summary>
    internal int DefaultOutputTokens { get; init; }

    /// <summary>
    /// Gets the tokens the request needs in a model's context window: the prompt plus the requested output (or, when
    /// none is requested, the output the chain reserves, <c>Routing:DefaultOutputTokens</c>), summed in 64 bits and
    /// capped at <see cref="int.MaxValue"/>, so an output limit near <see cref="int.MaxValue"/> makes the request too
    /// large for every window instead of overflowing to a negative size that fits them all.
    /// </summary>
    public int RequiredContextTokens => (int)Math.Min((long)EstimatedPromptTokens + (MaxOutputTokens ?? DefaultOutputTokens), int.MaxValue);

    /// <summary>
    /// Gets the tokens the cloud budget (<c>Cloud:TokensPerMinute</c>) counts for the request: the prompt plus the
    /// output the caller asked for, without the local reserve (the cloud is sent no output limit the caller did not set).
    /// </summary>
    internal int BudgetTokens => (int)Math.Min((long)EstimatedPromptTokens + (MaxOutputTokens ?? 0), int.MaxValue);
}
