namespace HybridInference;

/// <summary>
/// Finds personal data in text. The hybrid client asks it about every request when <c>Privacy:Action</c> is set,
/// to keep such requests local or to redact them before they may go to the cloud. Register an implementation in
/// the services to replace the built-in <see cref="PiiDetector"/>. An implementation that throws keeps the request
/// local (the client fails closed).
/// </summary>
public interface IPiiDetector
{
    /// <summary>Finds the personal data in <paramref name="text"/>.</summary>
    /// <param name="text">One message's text.</param>
    /// <returns>The matches, in order and not overlapping; empty when there are none.</returns>
    IReadOnlyList<PiiMatch> Detect(string text);
}

/// <summary>One piece of personal data found in a text.</summary>
/// <param name="Kind">What it is: <c>email</c>, <c>phone</c>, <c>payment_card</c>, <c>national_id</c>, <c>iban</c>, or a custom pattern's name.</param>
/// <param name="Index">Where it starts in the text.</param>
/// <param name="Length">How long it is.</param>
public readonly record struct PiiMatch(string Kind, int Index, int Length);
