using HybridInference.Fallback;
using HybridInference.Internal;
using HybridInference.Privacy;
using Microsoft.Extensions.AI;

namespace HybridInference;

/// <summary>Adds the schema-validating fallback to a chain.</summary>
public static class SchemaValidatingFallbackChatClientBuilderExtensions
{
    /// <summary>
    /// Adds the fallback: local failures escalate to <paramref name="escalation"/>, and local JSON answers are
    /// validated against the request's schema, retried locally with a constrained prompt, then escalated.
    /// </summary>
    /// <param name="builder">The chain.</param>
    /// <param name="escalation">The cloud lane, or <see langword="null"/> when nothing may escalate.</param>
    /// <param name="maxRetries">Constrained local retries after a validation failure. Default 1; 0 to 5.</param>
    /// <param name="extractJson">Whether JSON is extracted from a code fence or prose around it before validation. Default <see langword="true"/>.</param>
    /// <returns><paramref name="builder"/>.</returns>
    /// <remarks>The schema validator is the <see cref="IJsonSchemaValidator"/> in the services, or the built-in one.</remarks>
    public static ChatClientChainBuilder UseSchemaValidatingFallback(this ChatClientChainBuilder builder, IChatClient? escalation, int maxRetries = Defaults.FallbackMaxRetries, bool extractJson = true)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentOutOfRangeException.ThrowIfNegative(maxRetries);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxRetries, Defaults.FallbackMaxRetriesLimit);
        return builder.Use((inner, services) => new SchemaValidatingFallbackChatClient(
            inner,
            escalation is null ? null : new PiiRedactingChatClient(escalation),
            ChainServices.Validator(services),
            maxRetries,
            extractJson,
            ChainServices.Metrics(services),
            ChainServices.Logger<SchemaValidatingFallbackChatClient>(services)));
    }
}
