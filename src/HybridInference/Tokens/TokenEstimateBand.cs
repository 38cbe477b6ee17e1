namespace HybridInference.Tokens;

/// <summary>
/// How far the built-in estimate can be from an exact count, over every kind of text and every tokenizer in
/// <c>TokenEstimateCalibrationTests</c>' stated bands (the OpenAI encodings <c>o200k_base</c> and <c>cl100k_base</c>,
/// and Llama's SentencePiece vocabulary): the estimate is between <see cref="LowestRatio"/> and
/// <see cref="HighestRatio"/> times the exact count. A prompt whose estimate is clearly under or over a limit by that
/// margin is decided on the estimate alone; only one in between needs the exact count of the backend it would go to.
/// </summary>
/// <remarks>
/// One band for every backend: the exact count is asked of whichever local backend's counter the prompt would go to,
/// so the band must hold for any of them. Its low end is Llama's: a vocabulary that splits every digit (Llama 2,
/// Mistral) counts a run of digits up to three times the estimate, which gives one token per three digits (measured on
/// the corpus down to 0.37); against the OpenAI encodings alone the corpus' lowest is 0.77 (stated 0.75). Only
/// prompts between the two ends of the band for a limit are counted exactly, and only when a local backend has an exact
/// counter (<c>AddTokenizers()</c> and its <c>Tokenizer</c>); without one the estimate decides, and a digit-heavy prompt
/// for a Llama backend can be under-estimated up to three times.
/// </remarks>
internal static class TokenEstimateBand
{
    /// <summary>
    /// The lowest stated ratio of estimate to exact count, with a margin: numbers against Llama's SentencePiece model
    /// (stated 0.33, a third, where long runs of digits tend; measured 0.37). Against the OpenAI encodings it is 0.75.
    /// </summary>
    public const double LowestRatio = 0.30;

    /// <summary>The highest stated ratio of estimate to exact count (Arabic against <c>o200k_base</c>).</summary>
    public const double HighestRatio = 3.30;

    /// <summary>Whether a prompt of this estimate fits in <paramref name="limit"/> tokens whatever its exact count within the band.</summary>
    /// <param name="estimate">The estimated tokens.</param>
    /// <param name="limit">The limit, in tokens.</param>
    /// <returns>Whether even the highest exact count the band allows (<c>estimate / LowestRatio</c>) is within the limit.</returns>
    public static bool SurelyFits(int estimate, int limit) => estimate * 10L <= limit * 3L;

    /// <summary>Whether a prompt of this estimate exceeds <paramref name="limit"/> tokens whatever its exact count within the band.</summary>
    /// <param name="estimate">The estimated tokens.</param>
    /// <param name="limit">The limit, in tokens.</param>
    /// <returns>Whether even the lowest exact count the band allows (<c>estimate / HighestRatio</c>) is over the limit.</returns>
    public static bool SurelyExceeds(int estimate, int limit) => estimate * 10L > limit * 33L;
}
