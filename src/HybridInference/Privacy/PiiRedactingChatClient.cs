using System.Runtime.CompilerServices;
using HybridInference.Internal;
using Microsoft.Extensions.AI;

namespace HybridInference.Privacy;

/// <summary>
/// Stands in front of the cloud lane: a request the classifier found personal data in (with <c>Privacy:Action</c>
/// <see cref="PiiAction.Redact"/>) goes on as a copy with every piece of text it sends (see <see cref="SentText"/>)
/// replaced around the matches by placeholders such as <c>[EMAIL]</c>; the caller's messages and options are not
/// changed. If redaction fails here, nothing is sent: the caller gets <see cref="LocalBackendUnavailableException"/>.
/// Other requests pass untouched.
/// </summary>
internal sealed class PiiRedactingChatClient(IChatClient cloudLane) : DelegatingChatClient(cloudLane)
{
    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var (redacted, redactedOptions) = Redact(messages, options, cancellationToken);
        return base.GetResponseAsync(redacted, redactedOptions, cancellationToken);
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var (redacted, redactedOptions) = Redact(messages, options, cancellationToken);
        await foreach (var update in base.GetStreamingResponseAsync(redacted, redactedOptions, cancellationToken).ConfigureAwait(false))
        {
            yield return update;
        }
    }

    /// <summary>The messages and options with their personal data replaced, for a request marked for redaction; the same ones otherwise.</summary>
    /// <exception cref="LocalBackendUnavailableException">Redaction failed; the request is not sent.</exception>
    /// <exception cref="OperationCanceledException">The request was cancelled or its deadline passed while redacting.</exception>
    internal static (IEnumerable<ChatMessage> Messages, ChatOptions? Options) Redact(IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken)
    {
        if (RequestState.Find(options)?.RedactWith is not { } detector)
        {
            return (messages, options);
        }

        try
        {
            var redactor = new SentTextVisitor.Redactor(detector, cancellationToken);
            var redactedOptions = SentText.Walk(options, redactor) ?? options;
            var redacted = SentText.Walk(messages, redactor) ?? messages;
            return (redacted, redactedOptions);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            throw new LocalBackendUnavailableException(
                $"Personal data was found in the request, and redacting it for the cloud failed ({ex.GetType().Name}), so it was not sent to the cloud.");
        }
    }
}
