using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.AI;

namespace HybridInference.Internal;

/// <summary>
/// The state of one request as it moves through the chain: profile, decision, attempts, usage and cost. The cost
/// meter creates it and carries it on a <see cref="HybridChatOptions"/> copy of the caller's options (it survives
/// <see cref="ChatOptions.Clone"/>); every other part reads and adds to it.
/// </summary>
/// <remarks>
/// Attempts of one request run one after another, never at once, so the fields need no synchronisation.
/// </remarks>
internal sealed class HybridRequest
{
    /// <summary>The key of the <see cref="RouteOutcome"/> in a response's additional properties.</summary>
    public const string OutcomePropertyKey = "HybridInference.RouteOutcome";

    /// <summary>Gets or sets when the request started.</summary>
    public DateTimeOffset StartedAt { get; set; }

    public TaskProfile? Profile { get; set; }

    public RouteDecision? Decision { get; set; }

    public EscalationReason Escalation { get; set; }

    public int Attempts { get; set; }

    public int ValidationFailures { get; set; }

    public long InputTokens { get; set; }

    public long OutputTokens { get; set; }

    public double CostUsd { get; set; }

    /// <summary>Gets or sets what the last successful attempt's tokens would cost on the cheapest cloud model.</summary>
    public double CloudBaselineCostUsd { get; set; }

    /// <summary>Gets or sets the backend of the last attempt.</summary>
    public BackendInfo? LastBackend { get; set; }

    /// <summary>Gets or sets the model reported by the last successful attempt.</summary>
    public string? LastModel { get; set; }

    /// <summary>
    /// Gets or sets the check a local answer must pass to count as a success with the circuit breaker; set by the
    /// schema-validating fallback for its local attempts, so validation failures count as local failures.
    /// </summary>
    public IResponseCheck? LocalResponseCheck { get; set; }

    /// <summary>Gets or sets the JSON format the local answers are checked against.</summary>
    public ChatResponseFormatJson? ResponseFormat { get; set; }

    /// <summary>Gets or sets the last answer checked, so that the breaker and the fallback validate it only once.</summary>
    public ChatResponse? LastCheckedResponse { get; set; }

    /// <summary>Gets or sets the result of checking <see cref="LastCheckedResponse"/>.</summary>
    internal Fallback.AnswerCheck LastCheckResult { get; set; }

    /// <summary>
    /// Gets or sets the detector that found personal data in the request when <c>Privacy:Action</c> is
    /// <see cref="PiiAction.Redact"/>: the cloud lane redacts with it. <see langword="null"/> when nothing is to be redacted.
    /// </summary>
    public IPiiDetector? RedactWith { get; set; }

    /// <summary>
    /// Gets or sets the claim on the cloud of a hedged request; the local lane's escalation must win it first.
    /// <see langword="null"/> when the request is not hedged.
    /// </summary>
    public CloudClaim? CloudClaim { get; set; }

    /// <summary>Gets the request state carried by <paramref name="options"/>, if any.</summary>
    public static HybridRequest? Find(ChatOptions? options) => (options as HybridChatOptions)?.Request;

    /// <summary>
    /// Gets the request state carried by <paramref name="options"/>; when there is none, attaches a new one to a
    /// copy of the options, so the caller's instance is never changed.
    /// </summary>
    public static HybridRequest GetOrAttach([NotNull] ref ChatOptions? options)
    {
        if (options is not null && Find(options) is { } existing)
        {
            return existing;
        }

        var request = new HybridRequest();
        options = new HybridChatOptions(options, request);
        return request;
    }
}
