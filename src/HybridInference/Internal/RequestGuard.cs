using Microsoft.Extensions.AI;

namespace HybridInference.Internal;

/// <summary>Rejects requests that no backend could serve, with an error that names the problem.</summary>
internal static class RequestGuard
{
    /// <exception cref="ArgumentNullException"><paramref name="messages"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The request has no messages, or a message is <see langword="null"/>.</exception>
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
            }

            if (list.Count == 0)
            {
                throw new ArgumentException("The request has no messages; at least one is required.", nameof(messages));
            }

            return;
        }

        var any = false;
        foreach (var message in messages)
        {
            if (message is null)
            {
                throw new ArgumentException("The request's message list contains a null message.", nameof(messages));
            }

            any = true;
        }

        if (!any)
        {
            throw new ArgumentException("The request has no messages; at least one is required.", nameof(messages));
        }
    }
}
