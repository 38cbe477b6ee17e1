using HybridInference.Fallback;
using HybridInference.Internal;
using Microsoft.Extensions.AI;

namespace HybridInference;

/// <summary>Adds the schema-validating fallback to the local lane.</summary>
public static class SchemaValidatingFallbackChatClientBuilderExtensions
{
    /// <summary>
    /// Adds the fallback at the head of the local lane: failures of the rest of the lane escalate to
    /// <paramref name="escalation"/>, and a JSON answer that failed validation (put <c>UseJsonValidation</c> at the end
    /// of the lane) is retried locally with a constrained prompt that quotes the errors, then escalated. Local-only
    /// requests are never escalated.
    /// </summary>
    /// <param name="builder">The local lane's pipeline.</param>
    /// <param name="escalation">The cloud lane (the same instance the router gets), or <see langword="null"/> when nothing may escalate. Not owned.</param>
    /// <param name="maxRetries">Constrained local retries after a validation failure. Default 1; 0 to 5.</param>
    /// <returns><paramref name="builder"/>.</returns>
    public static ChatClientBuilder UseSchemaValidatingFallback(this ChatClientBuilder builder, IChatClient? escalation, int maxRetries = Defaults.FallbackMaxRetries)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentOutOfRangeException.ThrowIfNegative(maxRetries);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxRetries, Defaults.FallbackMaxRetriesLimit);
        return builder.Use((inner, services) => new SchemaValidatingFallbackChatClient(
            inner, escalation, maxRetries, ChainServices.Logger<SchemaValidatingFallbackChatClient>(services)));
    }
}
