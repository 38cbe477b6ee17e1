using System.ComponentModel.DataAnnotations;
using HybridInference.Refinement;
using Microsoft.Extensions.Options;

namespace HybridInference;

/// <summary>
/// Settings of "local first pass, cloud refinement" (configuration section <c>HybridInference:Refinement</c>): which
/// requests are refined without asking, what the cloud is told, and the outbox the refinements wait in.
/// </summary>
public sealed class RefinementOptions
{
    /// <summary>
    /// Gets the task categories whose locally answered requests are refined by default, as if each asked with
    /// <see cref="HybridChatOptionsExtensions.WithRefinement"/> (a request's own <c>WithRefinement(false)</c> wins).
    /// Default none.
    /// </summary>
    public IList<TaskCategory> Categories { get; } = [];

    /// <summary>
    /// Gets the task categories whose requests are deferrable by default, as if each asked with
    /// <see cref="HybridChatOptionsExtensions.AsDeferrable"/> (a request's own <c>AsDeferrable(false)</c> wins): when such a
    /// request must go to the cloud (it may not run locally) and the cloud cannot take it, it waits in the outbox and the
    /// caller gets a response that says so (<see cref="RouteReason.Deferred"/>). Default none.
    /// </summary>
    public IList<TaskCategory> DeferrableCategories { get; } = [];

    /// <summary>
    /// Gets or sets the instruction the cloud is sent after the original prompt and the local draft (as a user message).
    /// Default: improve the draft, keep its format, answer with the improved text only. Not empty.
    /// </summary>
    [Required(AllowEmptyStrings = false)]
    public string Instruction { get; set; } = RefinementDefaults.Instruction;

    /// <summary>Gets the bounds of the outbox the refinements wait in until the cloud takes them.</summary>
    [ValidateObjectMembers]
    public OutboxOptions Outbox { get; } = new();
}
