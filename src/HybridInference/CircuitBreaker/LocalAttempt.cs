using Microsoft.Extensions.AI;

namespace HybridInference.CircuitBreaker;

/// <summary>The result of one local call as the circuit breaker sees it: the answer and whether it failed its check.</summary>
/// <param name="Response">The answer, or <see langword="null"/> for a stream (its updates go straight to the caller).</param>
/// <param name="FailedCheck">Whether the answer failed the request's check (schema validation): a local failure.</param>
internal readonly record struct LocalAttempt(ChatResponse? Response, bool FailedCheck);
