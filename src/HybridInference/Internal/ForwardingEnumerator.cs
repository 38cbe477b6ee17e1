using Microsoft.Extensions.AI;

namespace HybridInference.Internal;

/// <summary>
/// An enumerator of the chain's streams that, once started, only passes each update on from another enumerator,
/// with nothing of its own to do per update (no check, no count, no catch). A layer above may then read that other
/// enumerator directly (<see cref="Forwarding.Resolve"/>), so a stack of such layers costs nothing per update; it
/// still disposes the forwarder, which disposes what it forwards.
/// </summary>
internal interface IForwardingEnumerator
{
    /// <summary>Gets the enumerator every further update comes from unchanged, or <see langword="null"/> while this one still has work per update (before its start, while it replays what it held back).</summary>
    IAsyncEnumerator<ChatResponseUpdate>? ForwardTo { get; }
}

/// <summary>Finds the enumerator a stack of forwarders passes updates on from.</summary>
internal static class Forwarding
{
    /// <summary>
    /// Follows <see cref="IForwardingEnumerator.ForwardTo"/> from <paramref name="updates"/> to the first enumerator
    /// that does work per update. Reading it gives the same updates, failures and end as reading
    /// <paramref name="updates"/>; call it again before each read, as a forwarder may start forwarding later.
    /// </summary>
    public static IAsyncEnumerator<ChatResponseUpdate> Resolve(IAsyncEnumerator<ChatResponseUpdate> updates)
    {
        while (updates is IForwardingEnumerator { ForwardTo: { } next })
        {
            updates = next;
        }

        return updates;
    }
}
