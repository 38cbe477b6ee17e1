using Microsoft.Data.Sqlite;

namespace HybridInference.Sqlite.Tests;

/// <remarks>
/// Deferred work in the SQLite outbox, on a real file and a fake clock, through the whole chain and its hosted worker:
/// it survives a restart and is delivered with its settings; and an outbox file of schema version 1 (before deferred
/// work) is migrated when it is opened, its waiting refinements drained.
/// </remarks>
public sealed partial class SqliteOutboxTests
{
    /// <summary>The outbox's tables as version 1 of this package created them.</summary>
    private const string SchemaV1 = """
        CREATE TABLE outbox (
            id                 INTEGER PRIMARY KEY AUTOINCREMENT,
            request_id         TEXT    NOT NULL UNIQUE,
            kind               TEXT    NOT NULL,
            category           INTEGER NOT NULL,
            queued_at_ms       INTEGER NOT NULL,
            draft              TEXT    NOT NULL,
            draft_cost_usd     REAL,
            messages           TEXT    NOT NULL,
            sends              INTEGER NOT NULL DEFAULT 0,
            refusals           INTEGER NOT NULL DEFAULT 0,
            next_attempt_at_ms INTEGER NOT NULL,
            state              TEXT    NOT NULL DEFAULT 'waiting',
            ended_at_ms        INTEGER,
            reason             TEXT
        );
        CREATE INDEX outbox_state ON outbox (state, id);
        CREATE TABLE outbox_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT INTO outbox_meta (key, value) VALUES ('schema_version', '1');
        """;

    [Fact]
    public async Task DeferredWork_CloudAway_SurvivesARestart_AndIsDeliveredOnceWithItsSettings()
    {
        var time = new FakeTimeProvider(LedgerUnderTest.Start);
        var cloud = new CloudStandIn { Off = true };

        var first = await OutboxHost.StartAsync(DatabasePath, time, cloud);
        var options = new ChatOptions { Instructions = "Answer as a pharmacist." }.WithTaskCategory(TaskCategory.SafetyCritical).AsDeferrable();
        var response = await first.Chat.GetResponseAsync("check the dosage", options);
        Assert.Equal((string.Empty, RouteReason.Deferred), (response.Text, response.GetRouteOutcome()!.DecisionReason));
        var requestId = response.GetDeferral()!.RequestId;
        await first.AdvanceAsync(TimeSpan.FromMinutes(2), TimeSpan.FromSeconds(10));
        Assert.Equal(1, first.Status.GetStatus().Outbox!.Waiting);
        await first.DisposeAsync();

        var second = await OutboxHost.StartAsync(DatabasePath, time, cloud);
        cloud.Off = false;
        Assert.True(await second.AdvanceUntilAsync(() => second.Listener.Outcomes.Count == 1), "the deferred work was not delivered after the restart");
        await second.AdvanceAsync(TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(10));

        var outcome = second.Listener.Outcomes.Single();
        Assert.Equal((requestId, RefinementStatus.Delivered, true, TaskCategory.SafetyCritical), (outcome.RequestId, outcome.Status, outcome.Deferred, outcome.Category));
        Assert.Equal("answer to check the dosage", outcome.Response!.Text);
        Assert.Equal(1, cloud.Answered["check the dosage"]);
        Assert.Equal("Answer as a pharmacist.", cloud.Instructions.Single());
        Assert.Equal(0, second.Status.GetStatus().Outbox!.Waiting);
        await second.DisposeAsync();

        // An ended row keeps neither the prompt nor the settings.
        Assert.Equal((string.Empty, "deferred", (object)DBNull.Value), ReadRow(requestId));
    }

    [Fact]
    public async Task OutboxFileOfVersion1_IsMigratedWhenOpened_ItsWaitingRefinementsAreDrained_AndDeferredWorkCanBeAdded()
    {
        var time = new FakeTimeProvider(LedgerUnderTest.Start);
        Directory.CreateDirectory(_folder);
        using (var connection = new SqliteConnection($"Data Source={DatabasePath}"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = SchemaV1 + """
                INSERT INTO outbox (request_id, kind, category, queued_at_ms, draft, draft_cost_usd, messages, next_attempt_at_ms)
                VALUES ('old-refinement', 'refinement', 0, $queued, 'draft of a tagline', 0.0,
                        '[{"role":"user","contents":[{"$type":"text","text":"write a tagline"}]},{"role":"assistant","contents":[{"$type":"text","text":"draft of a tagline"}]},{"role":"user","contents":[{"$type":"text","text":"Improve it."}]}]',
                        $queued);
                """;
            command.Parameters.AddWithValue("$queued", time.GetUtcNow().ToUnixTimeMilliseconds());
            command.ExecuteNonQuery();
        }

        SqliteConnection.ClearAllPools();
        var cloud = new CloudStandIn();
        var host = await OutboxHost.StartAsync(DatabasePath, time, cloud);
        Assert.Equal(1, host.Status.GetStatus().Outbox!.Waiting);
        Assert.True(await host.AdvanceUntilAsync(() => host.Listener.Outcomes.Count == 1), "the version 1 item was not drained");

        var drained = host.Listener.Outcomes.Single();
        Assert.Equal(("old-refinement", RefinementStatus.Delivered, false), (drained.RequestId, drained.Status, drained.Deferred));
        Assert.Equal("refined: draft of a tagline", drained.Response!.Text);

        // Deferred work now has its column: the cloud goes away, a deferrable request waits, then is delivered.
        cloud.Off = true;
        var deferred = await host.Chat.GetResponseAsync("check the dosage", new ChatOptions().WithTaskCategory(TaskCategory.SafetyCritical).AsDeferrable());
        Assert.NotNull(deferred.GetDeferral());
        cloud.Off = false;
        Assert.True(await host.AdvanceUntilAsync(() => host.Listener.Outcomes.Count == 2), "the deferred work was not delivered");
        await host.DisposeAsync();

        using var check = new SqliteConnection($"Data Source={DatabasePath}");
        check.Open();
        using var version = check.CreateCommand();
        version.CommandText = "SELECT value FROM outbox_meta WHERE key = 'schema_version';";
        Assert.Equal("2", version.ExecuteScalar());
    }

    private (string Messages, string Kind, object Settings) ReadRow(string requestId)
    {
        using var connection = new SqliteConnection($"Data Source={DatabasePath}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT messages, kind, settings FROM outbox WHERE request_id = $id;";
        command.Parameters.AddWithValue("$id", requestId);
        using var reader = command.ExecuteReader();
        Assert.True(reader.Read());
        return (reader.GetString(0), reader.GetString(1), reader.GetValue(2));
    }
}
