using System.ComponentModel.DataAnnotations;
using HybridInference.ToolLoops;

namespace HybridInference;

/// <summary>
/// Tool-loop affinity (configuration section <c>HybridInference:ToolLoops</c>): in a function-invocation loop, a turn that
/// sends back the results of tool calls goes to the lane, and where it is still healthy the backend, that made those
/// calls, so that a loop started locally is not finished by another model with the first one's half-done plan.
/// </summary>
public sealed class ToolLoopOptions
{
    /// <summary>
    /// Gets or sets a value indicating whether tool loops keep their lane and backend. Default <see langword="true"/>;
    /// <see langword="false"/> routes every turn on its own, as a request without tool results is.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Gets or sets how long a tool call is remembered after the turn that made it: a result sent back later is routed
    /// on its own. Default 10 minutes; 1 second to 1 day.
    /// </summary>
    [Range(typeof(TimeSpan), ToolLoopDefaults.MinimumCallExpiryText, ToolLoopDefaults.MaximumCallExpiryText)]
    public TimeSpan CallExpiry { get; set; } = ToolLoopDefaults.CallExpiry;

    /// <summary>
    /// Gets or sets the most tool calls remembered at once, across all conversations; past it the oldest are forgotten
    /// first (their loops are then routed turn by turn). Default 10,000; 1 to 1,000,000.
    /// </summary>
    [Range(1, ToolLoopDefaults.MaximumMaxTrackedCalls)]
    public int MaxTrackedCalls { get; set; } = ToolLoopDefaults.MaxTrackedCalls;
}
