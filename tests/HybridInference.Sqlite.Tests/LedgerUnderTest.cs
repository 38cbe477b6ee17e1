using Microsoft.Data.Sqlite;

namespace HybridInference.Sqlite.Tests;

/// <summary>
/// One <see cref="SqliteCostLedger"/> built directly (no client in front) on a real file in a temporary folder, on a
/// fake clock, with its log captured and its test seams settable: for the tests of the write path's failures.
/// </summary>
internal sealed class LedgerUnderTest : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private LedgerUnderTest(string folder, int capacity, TimeSpan interval, Func<LedgerUnderTest, SqliteCostLedgerSeams>? seams)
    {
        Folder = folder;
        Interval = interval;
        Ledger = new SqliteCostLedger(
            new CostLedgerOptions { DatabasePath = DatabasePath, QueueCapacity = capacity, FlushInterval = interval },
            90,
            Time,
            Log.CreateLogger("ledger"),
            seams: seams?.Invoke(this) ?? new SqliteCostLedgerSeams { BusyTimeoutSeconds = 1 });
    }

    public SqliteCostLedger Ledger { get; }

    public FakeTimeProvider Time { get; } = new(Start);

    public FakeLoggerProvider Log { get; } = new();

    public string Folder { get; }

    public TimeSpan Interval { get; }

    public string DatabasePath => Path.Combine(Folder, "costs.db");

    /// <summary>Set by a test to make the seams throw; read by the seams on each call.</summary>
    public Exception? OpenFault { get; set; }

    /// <summary>Set by a test to make the seam throw for the record that started at this second.</summary>
    public (int Second, Exception Error)? RecordFault { get; set; }

    public static LedgerUnderTest Create(int capacity = 10_000, Func<LedgerUnderTest, SqliteCostLedgerSeams>? seams = null)
    {
        var folder = Path.Combine(Path.GetTempPath(), "hi-ledger-" + Guid.NewGuid().ToString("N"));
        return new LedgerUnderTest(folder, capacity, TimeSpan.FromSeconds(1), seams);
    }

    /// <summary>Seams that throw <see cref="OpenFault"/> on opening and <see cref="RecordFault"/> for its record.</summary>
    public static LedgerUnderTest WithFaults(int capacity = 10_000) => Create(capacity, host => new SqliteCostLedgerSeams
    {
        BusyTimeoutSeconds = 1,
        ConnectionOpened = _ =>
        {
            if (host.OpenFault is { } fault)
            {
                throw fault;
            }
        },
        RecordWriting = outcome =>
        {
            if (host.RecordFault is { } fault && outcome.StartedAt == At(fault.Second))
            {
                throw fault.Error;
            }
        },
    });

    public static DateTimeOffset At(int second) => Start.AddSeconds(second);

    /// <summary>A record of a request that started <paramref name="second"/> seconds after <see cref="Start"/>.</summary>
    public static RouteOutcome Record(int second, double cost = 0.01, double baseline = 0.02, TimeSpan? latency = null, string backend = "local", string? model = "local-model") => new()
    {
        StartedAt = At(second),
        Target = BackendLane.Local,
        Backend = backend,
        Model = model,
        Category = TaskCategory.Routine,
        Decision = RouteTarget.Local,
        DecisionReason = RouteReason.Default,
        Attempts = 1,
        EscalationReason = EscalationReason.None,
        ValidationFailures = 0,
        EstimatedPromptTokens = 10,
        InputTokens = 10,
        OutputTokens = 20,
        CostUsd = cost,
        CloudBaselineCostUsd = baseline,
        Duration = latency ?? TimeSpan.FromMilliseconds(250),
        OutputCommitted = true,
    };

    public void Add(params int[] seconds)
    {
        foreach (var second in seconds)
        {
            Ledger.OnRequestFinished(Record(second));
        }
    }

    /// <summary>The seconds (after <see cref="Start"/>) of the records in the table, in the order written.</summary>
    public List<long> WrittenSeconds() => [.. Rows().Select(r => ((long)r["started_at_ms"]! - Start.ToUnixTimeMilliseconds()) / 1000)];

    public string LogText => string.Join("\n", Log.Lines);

    /// <summary>Reads the table through a connection of its own, as another process would see it.</summary>
    public List<Dictionary<string, object?>> Rows() => ReadRows(DatabasePath);

    public static List<Dictionary<string, object?>> ReadRows(string path)
    {
        var rows = new List<Dictionary<string, object?>>();
        if (!File.Exists(path))
        {
            return rows;
        }

        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT * FROM requests ORDER BY id";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var row = new Dictionary<string, object?>();
            for (var i = 0; i < reader.FieldCount; i++)
            {
                row[reader.GetName(i)] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }

            rows.Add(row);
        }

        return rows;
    }

    /// <summary>
    /// Moves the fake clock one interval at a time until <paramref name="done"/> holds, so the background loop (not a
    /// direct flush) does the writing; the loop may not have armed its timer yet when the clock first moves.
    /// </summary>
    public async Task<bool> AdvanceUntilAsync(Func<bool> done)
    {
        for (var i = 0; i < 500; i++)
        {
            if (done())
            {
                return true;
            }

            Time.Advance(Interval);
            await Task.Delay(10);
        }

        return done();
    }

    public async ValueTask DisposeAsync()
    {
        await Ledger.DisposeAsync();
        if (Directory.Exists(Folder))
        {
            Directory.Delete(Folder, recursive: true);
        }
    }
}
