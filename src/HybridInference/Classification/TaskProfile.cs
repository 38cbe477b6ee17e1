namespace HybridInference;

/// <summary>What the classifier learned about one request; the input of an <see cref="IRoutingPolicy"/>.</summary>
/// <param name="Category">How demanding the task is.</param>
/// <param name="CategorySource">Why the task got that category.</param>
/// <param name="EstimatedPromptTokens">The estimated size of the prompt (all messages, instructions and tools) in tokens.</param>
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
    /// Gets the tokens the request needs in a model's context window: the prompt plus the requested output, summed in
    /// 64 bits and capped at <see cref="int.MaxValue"/>, so an output limit near <see cref="int.MaxValue"/> makes the
    /// request too large for every window instead of overflowing to a negative size that fits them all.
    /// </summary>
    public int RequiredContextTokens => (int)Math.Min((long)EstimatedPromptTokens + (MaxOutputTokens ?? 0), int.MaxValue);
}
