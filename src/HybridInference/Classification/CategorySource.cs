namespace HybridInference;

/// <summary>Where a request's <see cref="TaskCategory"/> came from.</summary>
public enum CategorySource
{
    /// <summary>No rule matched; the configured default category applies.</summary>
    Default = 0,

    /// <summary>The caller set it on the request with <see cref="HybridChatOptionsExtensions.WithTaskCategory"/>.</summary>
    Explicit = 1,

    /// <summary>A keyword or pattern rule matched the prompt text.</summary>
    Rule = 2,

    /// <summary>The request offers tools to the model.</summary>
    Tools = 3,

    /// <summary>The conversation has more messages than the configured threshold.</summary>
    ConversationLength = 4,
}
