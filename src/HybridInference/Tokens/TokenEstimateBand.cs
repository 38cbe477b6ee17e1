namespace HybridInference.Tokens;

/// <summary>
/// How far the built-in estimate can be from an exact count, over every kind of text and both OpenAI encodings in
/// <c>TokenEstimateCalibrationTests</c>' stated bands: the estimate is between <see cref="LowestRatio"/> and
/// <see cref="HighestRatio"/> times the exact count. A prompt whose estimate is clearly under or over a limit by that
/// margin is decided on the estimate alone; only one in between needs the exact count of the backend it would go to.
/// </summary>
/// <remarks>
/// The band holds for tokenizers of the <c>cl100k_base</c>/<c>o200k_base</c> kind. Vocabularies that split every digit
/// (Llama 2, Mistral, Qwen) can count numbers up to about three times the estimate: for those, configure the backend's
/// <c>Tokenizer</c> so that the exact count is there to ask.
/// </remarks>
internal static class TokenEstimateBand
{
    /// <summary>The lowest stated ratio of estimate to exact count (Polish prose against <c>cl100k_base</c>).</summary>
    public const double LowestRatio = 0.75;

    /// <summary>The highest stated ratio of estimate to exact count (Arabic against <c>o200k_base</c>).</summary>
    public const double HighestRatio = 3.30;

    /// <summary>Whether a prompt of this estimate fits in <paramref name="limit"/> tokens whatever its exact count within the band.</summary>
    /// <param name="estimate">The estimated tokens.</param>
    /// <param name="limit">The limit, in tokens.</param>
    /// <returns>Whether even the highest exact count the band allows (<c>estimate / LowestRatio</c>) is within the limit.</returns>
    public static bool SurelyFits(int estimate, int limit) => estimate * 4L <= limit * 3L;

    /// <summary>Whether a prompt of this estimate exceeds <paramref name="limit"/> tokens whatever its exact count within the band.</summary>
    /// <param name="estimate">The estimated tokens.</param>
    /// <param name="limit">The limit, in tokens.</param>
    /// <returns>Whether even the lowest exact count the band allows (<c>estimate / HighestRatio</c>) is over the limit.</returns>
    public static bool SurelyExceeds(int estimate, int limit) => estimate * 10L > limit * 33L;
}
