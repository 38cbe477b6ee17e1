using HybridInference.Internal;

namespace HybridInference.ToolLoops;

/// <summary>
/// Where a tool loop runs: the backend that made the tool calls a turn sends back the results of, and, once the loop has
/// moved (its backend or lane failed), the backend it ran on before. Immutable: a move makes a new one.
/// </summary>
/// <param name="Backend">The backend that made the calls.</param>
/// <param name="MovedFrom">The name of the backend the loop ran on before it moved; <see langword="null"/> while it has not moved.</param>
internal sealed record ToolLoopLane(BackendInfo Backend, string? MovedFrom)
{
    /// <summary>Gets the lane the loop runs on.</summary>
    public BackendLane Lane => Backend.Lane;

    /// <summary>Whether <paramref name="backend"/> is the loop's backend.</summary>
    public bool RunsOn(BackendInfo backend) =>
        ReferenceEquals(Backend, backend) || (Backend.Lane == backend.Lane && string.Equals(Backend.Name, backend.Name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Where the loop runs after a turn answered by <paramref name="answered"/>: here, or moved there.</summary>
    public ToolLoopLane After(BackendInfo answered) => RunsOn(answered) ? this : new(answered, MovedFrom ?? Backend.Name);

    /// <summary>The backend the loop moved from, after a turn answered by <paramref name="answered"/> (none when it was not answered).</summary>
    public string? MovedFromAfter(BackendInfo? answered) => answered is null || RunsOn(answered) ? MovedFrom : MovedFrom ?? Backend.Name;
}
