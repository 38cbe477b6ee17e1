namespace HybridInference;

/// <summary>
/// What happened to one request inside the hybrid client: where it ran, why, how many attempts it took and what it
/// cost. Read it with <see cref="RouteOutcomeExtensions.GetRouteOutcome(Microsoft.Extensions.AI.ChatResponse)"/>, or
/// from the exception of a failed request with <see cref="RouteOutcomeExtensions.GetRouteOutcome(Exception)"/>.
/// </summary>
public sealed class RouteOutcome
{
    /// <summary>Gets the lane that produced the returned answer.</summary>
    public required BackendLane Target { get; init; }

    /// <summary>Gets the name of the backend that produced the returned answer.</summary>
    public required string Backend { get; init; }

    /// <summary>Gets the model that produced the returned answer, as the backend reported it (or as configured).</summary>
    public string? Model { get; init; }

    /// <summary>Gets the task category the request was classified as.</summary>
    public required TaskCategory Category { get; init; }

    /// <summary>Gets the router's decision.</summary>
    public required RouteTarget Decision { get; init; }

    /// <summary>Gets the reason for the router's decision.</summary>
    public required RouteReason DecisionReason { get; init; }

    /// <summary>Gets the number of backend calls made for the request, retries and escalation included.</summary>
    public required int Attempts { get; init; }

    /// <summary>Gets a value indicating whether the answer came from the cloud.</summary>
    public bool Escalated => EscalationReason != EscalationReason.None;

    /// <summary>Gets why the request went to the cloud, or <see cref="EscalationReason.None"/>.</summary>
    public required EscalationReason EscalationReason { get; init; }

    /// <summary>Gets the number of local answers that failed JSON Schema validation.</summary>
    public required int ValidationFailures { get; init; }

    /// <summary>Gets the prompt size the router decided on: the estimate, or the exact count when <see cref="PromptTokensExact"/>.</summary>
    public required int EstimatedPromptTokens { get; init; }

    /// <summary>
    /// Gets a value indicating whether <see cref="EstimatedPromptTokens"/> is the exact count of the local backend's
    /// tokenizer, or of its server when it has no tokenizer (<see cref="IBackendTokenCounter"/>), because the estimate
    /// was near a limit the request was routed on; false when it is the estimate (also when the server could not count).
    /// </summary>
    public bool PromptTokensExact { get; init; }

    /// <summary>Gets the input tokens of every attempt, as the backends reported them.</summary>
    public required long InputTokens { get; init; }

    /// <summary>Gets the output tokens of every attempt, as the backends reported them.</summary>
    public required long OutputTokens { get; init; }

    /// <summary>Gets the cost of every attempt in US dollars, from the configured price table, the history's summarizing calls included (<see cref="History"/>).</summary>
    public required double CostUsd { get; init; }

    /// <summary>
    /// Gets what the returned answer would have cost on the cheapest configured cloud model: the all-cloud baseline
    /// that savings are measured against, priced on <see cref="CloudBaselineInputTokens"/> and
    /// <see cref="CloudBaselineOutputTokens"/>, never on a local model's usage. Zero when no cloud model is priced.
    /// </summary>
    public required double CloudBaselineCostUsd { get; init; }

    /// <summary>
    /// Gets the prompt tokens the baseline was priced on: the cloud provider's reported usage when the answer came from
    /// the cloud, else the priced cloud model's tokenizer count (with <c>AddTokenizers()</c>) or the estimate; 0 when no
    /// cloud model is priced.
    /// </summary>
    public long CloudBaselineInputTokens { get; init; }

    /// <summary>Gets the answer tokens the baseline was priced on, counted as <see cref="CloudBaselineInputTokens"/> are.</summary>
    public long CloudBaselineOutputTokens { get; init; }

    /// <summary>
    /// Gets a value indicating whether the baseline's tokens are exact (a cloud provider's reported usage or the priced
    /// cloud model's tokenizer), not the estimate; for a sum of turns, whether every turn's are.
    /// </summary>
    public bool CloudBaselineTokensExact { get; init; }

    /// <summary>Gets when the request started (from the client's <see cref="TimeProvider"/>).</summary>
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>
    /// Gets the sensitive topic (<c>Privacy:Topics</c>, such as <c>health</c>) the request touched, which kept it local
    /// (<see cref="RouteReason.LocalOnly"/>); <see langword="null"/> when it touched none. The topic's name only, never
    /// the text that matched.
    /// </summary>
    public string? SensitiveTopic { get; init; }

    /// <summary>
    /// Gets how the conversation was fitted to the local window before the router decided (<c>Local:History:Mode</c>):
    /// messages and tokens before and after, and the summarizing calls; <see langword="null"/> when it was sent as it came.
    /// <see cref="EstimatedPromptTokens"/> is then the reduced prompt's size.
    /// </summary>
    public HistoryReduction? History { get; init; }

    /// <summary>
    /// Gets the request's data policy as the classifier decided it (the request's setting, a sensitive topic, or data
    /// that was LocalOnly in an earlier turn); <see langword="null"/> when the request failed before it was classified.
    /// A refinement (<see cref="HybridChatOptionsExtensions.WithRefinement"/>) reads it: LocalOnly work is never refined in the cloud.
    /// </summary>
    public DataPolicy? DataPolicy { get; init; }

    /// <summary>Gets a value indicating whether the request asked for JSON output (a JSON response format), so its answers were validated.</summary>
    public bool JsonRequired { get; init; }

    /// <summary>Gets the wall-clock time of the whole request, every attempt included.</summary>
    public required TimeSpan Duration { get; init; }

    /// <summary>
    /// Gets a value indicating whether output reached the caller. Always <see langword="true"/> for a returned answer.
    /// On a failed request (read with <see cref="RouteOutcomeExtensions.GetRouteOutcome(Exception)"/>) it tells the
    /// two failures of a stream apart: <see langword="false"/>, nothing was passed on and every failover and
    /// escalation was tried; <see langword="true"/>, the stream broke after its first token, so the caller holds a
    /// partial answer and the request was not moved elsewhere (<see cref="StreamInterruptedException"/>).
    /// </summary>
    public bool OutputCommitted { get; init; }

    /// <summary>Gets a value indicating whether the request ended in an exception rather than an answer.</summary>
    public bool Failed { get; init; }

    /// <summary>
    /// Gets a value indicating whether the answer is a stored one (a cache hit of Microsoft.Extensions.AI's
    /// <c>DistributedCachingChatClient</c> around the hybrid client, or any response that went through serialization):
    /// no backend was called for it and nothing was spent, so <see cref="Backend"/> is <c>(cache)</c> and attempts,
    /// tokens, cost and duration are zero; category and decision are those of the request that was stored.
    /// </summary>
    public bool ServedFromCache { get; init; }

    /// <summary>
    /// Gets the outcome of each call to the hybrid client that produced this response, in order, when there were
    /// several: a function-invocation loop (Microsoft.Extensions.AI's <c>FunctionInvokingChatClient</c> around the
    /// hybrid client) makes one call per turn. This outcome is then their sum (attempts, tokens, cost, validation
    /// failures, duration) with the last turn's route. Empty for a response of a single call.
    /// </summary>
    public IReadOnlyList<RouteOutcome> Turns { get; init; } = [];

    /// <summary>
    /// Gets the name of the backend a tool loop ran on before it moved, when this request continues a tool loop whose
    /// backend or lane failed (<c>ToolLoops</c>): the loop moved as a whole to <see cref="Backend"/> and stays there for
    /// its remaining turns, which say so too. <see langword="null"/> when the request is no turn of a loop that moved.
    /// </summary>
    public string? ToolLoopMovedFrom { get; init; }

    /// <summary>
    /// Gets what the task needed of a local model (<see cref="TaskProfile.RequiredCapabilities"/>): recorded while a local
    /// backend declares capabilities or a quantization.
    /// </summary>
    public ModelCapabilities RequiredCapabilities { get; init; }

    /// <summary>
    /// Gets a value indicating whether no local model was fit for the task (its capabilities, or a quantization good
    /// enough for it) and it ran on the best local model anyway, because it had to stay local (local-only, no cloud
    /// backend, or the cloud unavailable). A task that could leave went to the cloud instead (<see cref="RouteReason.NoCapableLocalModel"/>).
    /// </summary>
    public bool NoCapableLocalModel { get; init; }
}
