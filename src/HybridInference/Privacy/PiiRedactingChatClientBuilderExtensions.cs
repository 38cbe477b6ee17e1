using HybridInference.Privacy;
using Microsoft.Extensions.AI;

namespace HybridInference;

/// <summary>Adds personal-data redaction to the cloud lane.</summary>
public static class PiiRedactingChatClientBuilderExtensions
{
    /// <summary>
    /// Adds redaction at the head of the cloud lane: a request in which the task classifier found personal data (with
    /// <see cref="PrivacyOptions.Action"/> <see cref="PiiAction.Redact"/>) goes on as a copy with every piece of text
    /// it sends replaced around the matches by placeholders such as <c>[EMAIL]</c>; the caller's messages and options
    /// are not changed. If redaction fails, nothing is sent. Other requests pass untouched.
    /// </summary>
    /// <param name="builder">The cloud lane's pipeline.</param>
    /// <returns><paramref name="builder"/>.</returns>
    public static ChatClientBuilder UsePiiRedaction(this ChatClientBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use(inner => new PiiRedactingChatClient(inner));
    }
}
