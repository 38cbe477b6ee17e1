using System.ComponentModel.DataAnnotations;
using HybridInference.Refinement;

namespace HybridInference;

/// <summary>
/// Bounds of the outbox of cloud work that waits (configuration section <c>HybridInference:Refinement:Outbox</c>): its
/// size, the age of its items, and how sends are retried. Every item ends delivered, expired or failed.
/// </summary>
public sealed class OutboxOptions
{
    /// <summary>
    /// Gets or sets the most items waiting at once. A new item that finds the outbox full ends at once as expired
    /// (counted, logged once per pass of the worker). Default 10,000; 1 to 10,000,000.
    /// </summary>
    [Range(1, 10_000_000)]
    public int Capacity { get; set; } = RefinementDefaults.Capacity;

    /// <summary>Gets or sets how long an item may wait for the cloud; older ones end as expired. Default 24 hours; 1 second to 365 days.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "365.00:00:00")]
    public TimeSpan MaxAge { get; set; } = RefinementDefaults.MaxAge;

    /// <summary>Gets or sets how often the worker looks for items to send. Default 1 second; 10 ms to 1 hour.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan PollInterval { get; set; } = RefinementDefaults.PollInterval;

    /// <summary>
    /// Gets or sets the wait after an item's first failed send; it doubles with each failure up to <see cref="MaxRetryDelay"/>.
    /// A health probe of a cloud backend that passes after the failed send ends the wait. Default 1 second; 10 ms to 1 hour.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan RetryDelay { get; set; } = RefinementDefaults.RetryDelay;

    /// <summary>Gets or sets the longest wait between two sends of an item. Default 1 minute; 10 ms to 1 day.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00")]
    public TimeSpan MaxRetryDelay { get; set; } = RefinementDefaults.MaxRetryDelay;

    /// <summary>
    /// Gets or sets how many sends of an item may be refused for a reason of the item's own (a bad request, a prompt too
    /// long, an invalid answer) before it ends as failed. A cloud that is away (unreachable, timing out, 5xx, 429, the
    /// breaker open, the budget full) is not the item's fault: those sends are retried until <see cref="MaxAge"/>.
    /// Default 3; 1 to 100.
    /// </summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = RefinementDefaults.MaxAttempts;
}
