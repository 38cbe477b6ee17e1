using Microsoft.Extensions.AI;

namespace HybridInference.Pools;

/// <summary>
/// The server token count of a discovered backend: asks a member it has now (the first that can count), so that the
/// count outlives the members that come and go. The members of one backend run one model, so any of them counts alike.
/// </summary>
/// <param name="pool">The pool the members are read from (its current snapshot).</param>
/// <param name="backend">The configured backend's name (<see cref="Internal.BackendInfo.ConfiguredName"/>).</param>
internal sealed class DiscoveredTokenCounter(BackendPoolChatClient pool, string backend) : IBackendTokenCounter
{
    public ValueTask<int> CountPromptTokensAsync(IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken = default)
    {
        foreach (var member in pool.Backends)
        {
            if (member.Info.Discovered && string.Equals(member.Info.ConfiguredName, backend, StringComparison.OrdinalIgnoreCase)
                && member.GetService(typeof(IBackendTokenCounter)) is IBackendTokenCounter counter)
            {
                return counter.CountPromptTokensAsync(messages, options, cancellationToken);
            }
        }

        return ValueTask.FromException<int>(new BackendException(BackendErrorKind.Unavailable, $"Backend '{backend}' has no member that counts tokens now."));
    }
}
