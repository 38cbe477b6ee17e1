namespace HybridInference.ToolLoops;

/// <summary>Every default of tool-loop affinity, in one place; the options' doc comments refer here.</summary>
internal static class ToolLoopDefaults
{
    /// <summary>How long a tool call is remembered after the turn that made it (<c>ToolLoops:CallExpiry</c>).</summary>
    public static readonly TimeSpan CallExpiry = TimeSpan.FromMinutes(10);

    /// <summary>The shortest <c>ToolLoops:CallExpiry</c>, as configuration text.</summary>
    public const string MinimumCallExpiryText = "00:00:01";

    /// <summary>The longest <c>ToolLoops:CallExpiry</c>, as configuration text.</summary>
    public const string MaximumCallExpiryText = "1.00:00:00";

    /// <summary>The most tool calls remembered at once (<c>ToolLoops:MaxTrackedCalls</c>); the oldest are forgotten first.</summary>
    public const int MaxTrackedCalls = 10_000;

    /// <summary>The largest <c>ToolLoops:MaxTrackedCalls</c>.</summary>
    public const int MaximumMaxTrackedCalls = 1_000_000;
}
