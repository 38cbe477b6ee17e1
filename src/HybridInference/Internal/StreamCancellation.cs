namespace HybridInference.Internal;

/// <summary>
/// The cancellation of a hand-written stream: the token given with the request and the one given to
/// <c>GetAsyncEnumerator</c>, combined as an async iterator's <c>[EnumeratorCancellation]</c> combines them. Only
/// when both can cancel and differ is a linked source made (and disposed with the enumerator).
/// </summary>
internal readonly struct StreamCancellation : IDisposable
{
    private readonly CancellationTokenSource? _linked;

    private StreamCancellation(CancellationToken token, CancellationTokenSource? linked)
    {
        Token = token;
        _linked = linked;
    }

    /// <summary>Gets the combined token.</summary>
    public CancellationToken Token { get; }

    /// <summary>Combines the request's token with the enumerator's.</summary>
    public static StreamCancellation Combine(CancellationToken request, CancellationToken enumerator)
    {
        if (!enumerator.CanBeCanceled || enumerator == request)
        {
            return new(request, null);
        }

        if (!request.CanBeCanceled)
        {
            return new(enumerator, null);
        }

        var linked = CancellationTokenSource.CreateLinkedTokenSource(request, enumerator);
        return new(linked.Token, linked);
    }

    public void Dispose() => _linked?.Dispose();
}
