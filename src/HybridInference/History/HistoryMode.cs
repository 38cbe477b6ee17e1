namespace HybridInference;

/// <summary>What the chain does with a conversation too long for the local window (<c>HybridInference:Local:History:Mode</c>).</summary>
public enum HistoryMode
{
    /// <summary>Nothing: a conversation too long for the local window goes to the cloud, or, local-only, is refused.</summary>
    Off = 0,

    /// <summary>The oldest turns are dropped until the conversation fits; system messages and the latest turns stay.</summary>
    Trim = 1,

    /// <summary>The oldest turns are replaced by a summary a local model writes; system messages and the latest turns stay.</summary>
    Summarize = 2,
}
