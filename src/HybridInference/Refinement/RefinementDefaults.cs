namespace HybridInference.Refinement;

/// <summary>Every default of the refinement and its outbox, in one place; the options' doc comments refer here.</summary>
internal static class RefinementDefaults
{
    /// <summary>The instruction sent to the cloud after the original prompt and the local draft (<c>Refinement:Instruction</c>).</summary>
    public const string Instruction =
        "Above is a first draft written for the request before it. Improve it: keep what is right, fix what is wrong, "
        + "tighten the wording, and keep the format the request asked for. Answer with the improved text only.";

    /// <summary>The most refinements waiting at once (<c>Refinement:Outbox:Capacity</c>).</summary>
    public const int Capacity = 10_000;

    /// <summary>How long a refinement may wait before it is expired (<c>Refinement:Outbox:MaxAge</c>).</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromHours(24);

    /// <summary>How often the outbox is looked at (<c>Refinement:Outbox:PollInterval</c>).</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    /// <summary>The wait after a first failed send (<c>Refinement:Outbox:RetryDelay</c>); it doubles with each failure.</summary>
    public static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between two sends of one refinement (<c>Refinement:Outbox:MaxRetryDelay</c>).</summary>
    public static readonly TimeSpan MaxRetryDelay = TimeSpan.FromMinutes(1);

    /// <summary>The sends refused for a reason of their own (not the cloud being away) before the item fails (<c>Refinement:Outbox:MaxAttempts</c>).</summary>
    public const int MaxAttempts = 3;

    /// <summary>The most items one pass of the worker sends.</summary>
    public const int BatchSize = 32;
}
