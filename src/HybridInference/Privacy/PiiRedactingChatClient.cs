using System.Runtime.CompilerServices;
using HybridInference.Internal;
using Microsoft.Extensions.AI;

namespace HybridInference.Privacy;

/// <summary>
/// Stands in front of the cloud lane: a request the classifier found personal data in (with <c>Privacy:Action</c>
/// <see cref="PiiAction.Redact"/>) goes on with every text replaced around the matches by placeholders such as
/// <c>[EMAIL]</c>. If the detector fails here, nothing is sent: the caller gets
/// <see cref="LocalBackendUnavailableException"/>. Other requests pass untouched.
/// </summary>
internal sealed class PiiRedactingChatClient(IChatClient cloudLane) : DelegatingChatClient(cloudLane)
{
    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        base.GetResponseAsync(Redact(messages, options), options, cancellationToken);

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var update in base.GetStreamingResponseAsync(Redact(messages, options), options, cancellationToken).ConfigureAwait(false))
        {
            yield return update;
        }
    }

    /// <summary>The messages with their personal data replaced, for a request marked for redaction; the same messages otherwise.</summary>
    /// <exception cref="LocalBackendUnavailableException">The detector failed; the request is not sent.</exception>
    internal static IEnumerable<ChatMessage> Redact(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        if (HybridRequest.Find(options)?.RedactWith is not { } detector)
        {
            return messages;
        }

        try
        {
            return messages.Select(message => Redact(message, detector)).ToList();
        }
        catch (Exception ex)
        {
            throw new LocalBackendUnavailableException(
                $"Personal data was found in the request, and redacting it for the cloud failed ({ex.GetType().Name}), so it was not sent to the cloud.");
        }
    }

    private static ChatMessage Redact(ChatMessage message, IPiiDetector detector)
    {
        List<AIContent>? contents = null;
        for (var i = 0; i < message.Contents.Count; i++)
        {
            if (message.Contents[i] is TextContent { Text: { Length: > 0 } text } &&
                detector.Detect(text) is { Count: > 0 } matches)
            {
                contents ??= [.. message.Contents];
                contents[i] = new TextContent(Replace(text, matches));
            }
        }

        return contents is null ? message : new ChatMessage(message.Role, contents) { AuthorName = message.AuthorName, MessageId = message.MessageId };
    }

    private static string Replace(string text, IReadOnlyList<PiiMatch> matches)
    {
        var redacted = new System.Text.StringBuilder(text.Length);
        var at = 0;
        foreach (var match in matches)
        {
            if (match.Index < at || match.Index + match.Length > text.Length)
            {
                throw new InvalidOperationException("The personal-data detector returned overlapping or out-of-range matches.");
            }

            redacted.Append(text, at, match.Index - at).Append('[').Append(match.Kind.ToUpperInvariant()).Append(']');
            at = match.Index + match.Length;
        }

        return redacted.Append(text, at, text.Length - at).ToString();
    }
}
