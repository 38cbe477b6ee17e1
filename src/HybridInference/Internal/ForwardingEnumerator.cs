using Microsoft.Extensions.AI;

namespace HybridInference.Internal;

/// <summary>
/// An enumerator of the chain's streams that, once started, only passes each update on from another enumerator,
/// with nothing of its own to do per update (no check, no count) but, at most, hearing of a failure. A layer above may
/// then read that other enumerator directly (<see cref="Forwarding.Resolve(IAsyncEnumerator{ChatResponseUpdate})"/>),
/// so a stack of such layers costs nothing per update; it tells each forwarder it read past of a failure it saw
/// (<see cref="Forwarding.ReportFailure"/>), and it still disposes the forwarder, which disposes what it forwards.
/// </summary>
internal interface IForwardingEnumerator
{
    /// <summary>Gets the enumerator every further update comes from unchanged, or <see langword="null"/> while this one still has work per update (before its start, while it replays what it held back).</summary>
    IAsyncEnumerator<ChatResponseUpdate>? ForwardTo { get; }

    /// <summary>
    /// Hears of a failure of the enumerator this one forwards to, read by a layer above past this one: what this one
    /// would have seen had the failure passed through it. Called before this enumerator is disposed, at most once.
    /// </summary>
    /// <param name="exception">The failure, as the enumerator below raised it.</param>
    void OnForwardedFailure(Exception exception);
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

    /// <summary>
    /// Resolves <paramref name="updates"/> in place, as <see cref="Resolve(IAsyncEnumerator{ChatResponseUpdate})"/> does,
    /// until it reaches an enumerator that is no forwarder at all; from then on (<paramref name="resolved"/> set) the
    /// enumerator is read as it is, with no type check per update, since it can never start forwarding.
    /// </summary>
    /// <param name="updates">The enumerator to read; replaced by the one it forwards to.</param>
    /// <param name="resolved">Whether <paramref name="updates"/> is known to be no forwarder; set by this method.</param>
    /// <returns>The enumerator to read the next update from.</returns>
    public static IAsyncEnumerator<ChatResponseUpdate> Resolve(ref IAsyncEnumerator<ChatResponseUpdate> updates, ref bool resolved)
    {
        if (!resolved)
        {
            updates = Resolve(updates);
            resolved = updates is not IForwardingEnumerator;
        }

        return updates;
    }

    /// <summary>
    /// Tells the forwarders between <paramref name="updates"/> (the enumerator a layer holds) and
    /// <paramref name="readFrom"/> (the one it read, past them) of a failure read from <paramref name="readFrom"/>, as
    /// they would have seen it pass: a layer that reads past forwarders must call this when a read fails, before it
    /// disposes <paramref name="updates"/>.
    /// </summary>
    /// <param name="updates">The enumerator the layer holds and disposes; nothing is told when it is <see langword="null"/>.</param>
    /// <param name="readFrom">The enumerator the failed read went to.</param>
    /// <param name="exception">The failure.</param>
    public static void ReportFailure(IAsyncEnumerator<ChatResponseUpdate>? updates, IAsyncEnumerator<ChatResponseUpdate>? readFrom, Exception exception)
    {
        while (!ReferenceEquals(updates, readFrom) && updates is IForwardingEnumerator forwarder)
        {
            forwarder.OnForwardedFailure(exception);
            updates = forwarder.ForwardTo;
        }
    }
}
