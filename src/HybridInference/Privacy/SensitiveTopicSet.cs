namespace HybridInference;

/// <summary>One sensitive topic of your own (<c>HybridInference:Privacy:Topics:Custom:NAME</c>): the words and patterns that mark a text as being about it.</summary>
public sealed class SensitiveTopicSet
{
    /// <summary>
    /// Gets the keywords or phrases, matched case-insensitively at word boundaries; one ending in <c>*</c> matches as a
    /// prefix (<c>merger*</c> matches "mergers").
    /// </summary>
    public IList<string> Keywords { get; } = [];

    /// <summary>
    /// Gets the regular expressions (linear-time syntax: no backreferences or lookarounds), matched case-insensitively
    /// anywhere in a text; put <c>\b</c> around one that should match whole words only.
    /// </summary>
    public IList<string> Patterns { get; } = [];
}
