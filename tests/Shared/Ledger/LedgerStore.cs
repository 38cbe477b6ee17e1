using HybridInference.Cost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace HybridInference.LedgerTests;

/// <summary>
/// One fresh, empty ledger database for one test (a file in a temporary folder, or a database of its own on the test
/// run's PostgreSQL server), and what the shared ledger tests need to know about it.
/// </summary>
internal abstract class LedgerStore : IAsyncDisposable
{
    /// <summary>Gets the name of the key that says where the ledger is (<c>DatabasePath</c>, <c>ConnectionString</c>).</summary>
    public abstract string Key { get; }

    /// <summary>Gets the JSON members of the <c>Ledger</c> section that point at this store.</summary>
    public abstract string Settings { get; }

    /// <summary>Adds this package's ledger to the client, bound to <paramref name="section"/>.</summary>
    public abstract void Add(HybridInferenceBuilder builder, IConfiguration section);

    /// <summary>Adds this package's ledger configured in code, without the key that says where it is.</summary>
    public abstract void AddWithoutKey(HybridInferenceBuilder builder);

    /// <summary>Builds a ledger on this store, with seams that throw what <paramref name="setup"/> says.</summary>
    public abstract BatchedCostLedger Open(LedgerSetup setup);

    /// <summary>Reads the table of requests through a connection of its own, as another process would see it: integers as <see cref="long"/>, flags as 0 or 1.</summary>
    public abstract List<Dictionary<string, object?>> Rows();

    /// <summary>What <paramref name="text"/> becomes when this database stores it.</summary>
    public abstract string Stored(string text);

    /// <summary>Marks the database as written by a newer version of the ledger's schema.</summary>
    public abstract void SetSchemaVersion(int version);

    /// <summary>A failure of the whole write the database itself raises when its disk is full.</summary>
    public abstract Exception DiskFull();

    public abstract ValueTask DisposeAsync();
}

/// <summary>How a test's ledger is built: its queue, interval, retention, clock and log, and the faults its seams throw.</summary>
internal sealed record LedgerSetup(int Capacity, TimeSpan Interval, int RetentionDays, TimeProvider Time, ILogger Logger)
{
    /// <summary>Gets what opening a connection for a write throws (null: nothing).</summary>
    public Func<Exception?>? OpenFault { get; init; }

    /// <summary>Gets what writing a record throws (null: nothing).</summary>
    public Func<RouteOutcome, Exception?>? RecordFault { get; init; }

    /// <summary>Throws the open fault, if any: for a store's seam on opening a connection.</summary>
    public void ThrowOpenFault()
    {
        if (OpenFault?.Invoke() is { } fault)
        {
            throw fault;
        }
    }

    /// <summary>Throws the fault of <paramref name="outcome"/>, if any: for a store's seam on writing a record.</summary>
    public void ThrowRecordFault(RouteOutcome outcome)
    {
        if (RecordFault?.Invoke(outcome) is { } fault)
        {
            throw fault;
        }
    }
}
