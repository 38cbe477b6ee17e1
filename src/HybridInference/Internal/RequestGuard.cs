using Microsoft.Extensions.AI;

namespace HybridInference.Internal;

/// <summary>Rejects requests that no backend could serve, with an error that names the problem.</summary>
internal static class RequestGuard
{
    /// <exception cref="ArgumentNullException"><paramref name="messages"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The request has no messages, a message is <see langword="null"/>, or a message has no content.</exception>
    public static void ThrowIfInvalid(IEnumerable<ChatMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (messages is IReadOnlyList<ChatMessage> list)
        {
            for (var i = 0; i < list.Count; i++)
            {
                if (list[i] is null)
                {
                    throw new ArgumentException("The request's message list contains a null message.", nameof(messages));
                }

                ThrowIfEmpty(list[i], i);
            }

            if (list.Count == 0)
            {
                throw new ArgumentException("The request has no messages; at least one is required.", nameof(messages));
            }

            return;
        }

        var index = 0;
        foreach (var message in messages)
        {
            if (message is null)
            {
                throw new ArgumentException("The request's message list contains a null message.", nameof(messages));
            }

            ThrowIfEmpty(message, index++);
        }

        var any = index > 0;

        if (!any)
        {
            throw new ArgumentException("The request has no messages; at least one is required.", nameof(messages));
        }
    }

    /// <summary>Refuses a message that carries nothing: no content at all, or only empty text.</summary>
    private static void ThrowIfEmpty(ChatMessage message, int index)
    {
        var contents = message.Contents;
        for (var i = 0; i < contents.Count; i++)
        {
            if (contents[i] is not TextContent text || !string.IsNullOrWhiteSpace(text.Text))
            {
                return;
            }
        }

        throw new ArgumentException(
            $"Message {index} (role {message.Role}) has no content: no text, tool call, tool result or other content. Remove it or give it content.",
            "messages");
    }
}
