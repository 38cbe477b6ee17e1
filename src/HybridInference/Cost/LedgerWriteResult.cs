namespace HybridInference.Cost;

/// <summary>What a committed batch left out, and what it wrote otherwise than given.</summary>
/// <param name="Failures">The records left out, each with its error; null when none.</param>
/// <param name="NonFinite">How many numbers were not finite and were written as NULL.</param>
/// <param name="ReplacedCharacters">How many characters the database's text cannot hold were written as U+FFFD.</param>
internal readonly record struct LedgerWriteResult(List<(RouteOutcome Outcome, Exception Error)>? Failures, int NonFinite, int ReplacedCharacters = 0);
