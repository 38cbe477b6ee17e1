namespace HybridInference.Cost;

/// <summary>What a committed batch left out (each record with its error; null when none) and how many numbers it wrote as NULL.</summary>
internal readonly record struct LedgerWriteResult(List<(RouteOutcome Outcome, Exception Error)>? Failures, int NonFinite);
