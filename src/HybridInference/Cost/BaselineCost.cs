namespace HybridInference.Cost;

/// <summary>The all-cloud baseline of one answer: its cost and the tokens it was priced on.</summary>
/// <param name="CostUsd">What the answer would have cost on the cheapest priced cloud model; 0 when none is priced.</param>
/// <param name="InputTokens">The prompt tokens the baseline was priced on.</param>
/// <param name="OutputTokens">The answer tokens the baseline was priced on.</param>
/// <param name="Exact">
/// Whether both counts are exact: a cloud provider's reported usage, or the priced cloud model's tokenizer; false when
/// either is the estimate.
/// </param>
internal readonly record struct BaselineCost(double CostUsd, long InputTokens, long OutputTokens, bool Exact);
