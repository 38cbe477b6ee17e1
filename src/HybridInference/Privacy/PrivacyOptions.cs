namespace HybridInference;

/// <summary>What the hybrid client does with requests that contain personal data (configuration section <c>HybridInference:Privacy</c>).</summary>
public sealed class PrivacyOptions
{
    /// <summary>Gets or sets what happens to a request in which personal data is found. Default <see cref="PiiAction.None"/>: not looked for.</summary>
    public PiiAction Action { get; set; }

    /// <summary>
    /// Gets further kinds of personal data to look for, by name: a regular expression each (linear-time syntax: no
    /// backreferences or lookarounds), e.g. <c>"EmployeeId": "EMP-[0-9]{6}"</c>. The name is the kind reported and
    /// the placeholder used when redacting.
    /// </summary>
    public IDictionary<string, string> CustomPatterns { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>
    /// Gets the sensitive topics (health, HR, legal matters, and your own) that keep a request local whatever
    /// <see cref="Action"/> says. None by default: nothing is looked for.
    /// </summary>
    public SensitiveTopicsOptions Topics { get; } = new();
}

/// <summary>What the hybrid client does with a request that contains personal data.</summary>
public enum PiiAction
{
    /// <summary>Personal data is not looked for.</summary>
    None = 0,

    /// <summary>The request is treated as <see cref="DataPolicy.LocalOnly"/>: it never reaches a cloud backend.</summary>
    LocalOnly = 1,

    /// <summary>
    /// The request may still go to the cloud, but only with the personal data replaced by placeholders such as
    /// <c>[EMAIL]</c>; local backends get it unchanged.
    /// </summary>
    Redact = 2,
}
