namespace HybridInference;

/// <summary>
/// Finds personal data in text. The hybrid client asks it about every piece of text a request would send when
/// <c>Privacy:Action</c> is set (messages, instructions, tool calls and results, tool definitions, the response
/// schema, URIs, author names), to keep such requests local or to redact them before they may go to the cloud.
/// Register an implementation in the services to replace the built-in <see cref="PiiDetector"/>. An implementation
/// that throws keeps the request local (the client fails closed).
/// </summary>
public interface IPiiDetector
{
    /// <summary>Finds the personal data in <paramref name="text"/>.</summary>
    /// <param name="text">One piece of a request's text.</param>
    /// <returns>The matches, in order and not overlapping; empty when there are none.</returns>
    IReadOnlyList<PiiMatch> Detect(string text);

    /// <summary>
    /// Finds the personal data in <paramref name="text"/>, stopping when <paramref name="cancellationToken"/> is
    /// cancelled (the request's deadline, <c>Routing:RequestTimeout</c>, reaches detection through it). The client
    /// calls this overload; by default it checks the token and calls <see cref="Detect(string)"/>.
    /// </summary>
    /// <param name="text">One piece of a request's text.</param>
    /// <param name="cancellationToken">The request's cancellation, its deadline included.</param>
    /// <returns>The matches, in order and not overlapping; empty when there are none.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    IReadOnlyList<PiiMatch> Detect(string text, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Detect(text);
    }
}

/// <summary>One piece of personal data found in a text.</summary>
/// <param name="Kind">What it is: <c>email</c>, <c>phone</c>, <c>payment_card</c>, <c>national_id</c>, <c>iban</c>, or a custom pattern's name.</param>
/// <param name="Index">Where it starts in the text.</param>
/// <param name="Length">How long it is.</param>
public readonly record struct PiiMatch(string Kind, int Index, int Length);
