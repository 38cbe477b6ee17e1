namespace HybridInference;

/// <summary>A rule that gives a request a category when its text contains a keyword or matches a pattern.</summary>
public sealed class ClassificationRule
{
    /// <summary>Gets or sets the category the rule assigns.</summary>
    public TaskCategory Category { get; set; }

    /// <summary>Gets the keywords or phrases, matched case-insensitively at word boundaries.</summary>
    public IList<string> Keywords { get; } = [];

    /// <summary>Gets or sets a .NET regular expression, matched case-insensitively; optional.</summary>
    public string? Pattern { get; set; }
}
