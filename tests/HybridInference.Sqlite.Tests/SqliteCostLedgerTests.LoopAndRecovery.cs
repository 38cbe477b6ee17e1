using Microsoft.Data.Sqlite;

namespace HybridInference.Sqlite.Tests;

public sealed partial class SqliteCostLedgerTests
{
    [Fact]
    public async Task Dispose_WhenTheDatabaseIsLocked_CountsAndLogsTheRecordsAsLost()
    {
        var ledger = LedgerUnderTest.WithFaults(new SqliteLedgerStore());
        SqliteConnection? other = null;
        SqliteTransaction? exclusive = null;
        try
        {
            ledger.Add(1, 2, 3);
            other = new SqliteConnection($"Data Source={ledger.DatabasePath};Pooling=False");
            other.Open();
            exclusive = other.BeginTransaction(deferred: false);
            using (var write = other.CreateCommand())
            {
                write.Transaction = exclusive;
                write.CommandText = "INSERT INTO ledger (key, value) VALUES ('other', 'writer');";
                write.ExecuteNonQuery();
            }

            await ledger.Ledger.DisposeAsync();

            Assert.Equal(3, ledger.Ledger.DroppedRecords);
            Assert.Contains("lost 3 records when it was disposed", ledger.LogText, StringComparison.Ordinal);
            Assert.DoesNotContain("kept for the next write", ledger.LogText, StringComparison.Ordinal);
            exclusive.Rollback();
            Assert.Empty(ledger.Rows());
        }
        finally
        {
            exclusive?.Dispose();
            other?.Dispose();
            await ledger.DisposeAsync();
        }
    }

    [Fact]
    public async Task Write_AfterTheFileIsDeleted_CreatesANewOne_LogsIt_AndWritesThere()
    {
        await using var ledger = LedgerUnderTest.Create(new SqliteLedgerStore());
        ledger.Add(1);
        await ledger.Ledger.FlushAsync();

        DeleteDatabase(ledger.DatabasePath);
        ledger.Add(2);
        await ledger.Ledger.FlushAsync();

        Assert.Equal([2L], ledger.WrittenSeconds());
        Assert.Contains("was deleted while running", ledger.LogText, StringComparison.Ordinal);

        // Once: the new file is the ledger's own from now on.
        ledger.Add(3);
        await ledger.Ledger.FlushAsync();
        Assert.Equal([2L, 3L], ledger.WrittenSeconds());
        Assert.Single(ledger.Log.Lines, line => line.Contains("was deleted", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Write_AfterTheTableIsDropped_CreatesItAgain_LogsIt_AndWritesThere()
    {
        await using var ledger = LedgerUnderTest.Create(new SqliteLedgerStore());
        ledger.Add(1);
        await ledger.Ledger.FlushAsync();
        using (var other = new SqliteConnection($"Data Source={ledger.DatabasePath};Pooling=False"))
        {
            other.Open();
            using var drop = other.CreateCommand();
            drop.CommandText = "DROP TABLE requests;";
            drop.ExecuteNonQuery();
        }

        ledger.Add(2);
        await ledger.Ledger.FlushAsync();

        Assert.Equal([2L], ledger.WrittenSeconds());
        Assert.Equal(0, ledger.Ledger.DroppedRecords);
        Assert.Contains("table of requests was dropped", ledger.LogText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Write_AfterTheFolderIsDeleted_CreatesBoth_AndWritesThere()
    {
        await using var ledger = LedgerUnderTest.Create(new SqliteLedgerStore());
        ledger.Add(1);
        await ledger.Ledger.FlushAsync();

        Directory.Delete(ledger.Folder, recursive: true);
        ledger.Add(2);
        await ledger.Ledger.FlushAsync();

        Assert.Equal([2L], ledger.WrittenSeconds());
        Assert.Contains("was deleted while running", ledger.LogText, StringComparison.Ordinal);
    }

    public static TheoryData<string> Replacements() => new() { "another ledger", "an empty SQLite database", "an empty file", "a copy of itself" };

    [Theory]
    [MemberData(nameof(Replacements))]
    public async Task Write_AfterTheFileIsReplaced_WritesToTheFileNowAtThePath(string replacement)
    {
        await using var ledger = LedgerUnderTest.Create(new SqliteLedgerStore());
        await using var other = LedgerUnderTest.Create(new SqliteLedgerStore());
        ledger.Add(1);
        await ledger.Ledger.FlushAsync();
        other.Add(100);
        await other.Ledger.FlushAsync();

        var replacementFile = Path.Combine(ledger.Folder, "replacement.db");
        switch (replacement)
        {
            case "another ledger":
                File.Copy(other.DatabasePath, replacementFile);
                break;
            case "an empty SQLite database":
                using (var empty = new SqliteConnection($"Data Source={replacementFile};Pooling=False"))
                {
                    empty.Open();
                    using var command = empty.CreateCommand();
                    command.CommandText = "CREATE TABLE unrelated (x); PRAGMA user_version = 0;";
                    command.ExecuteNonQuery();
                }

                break;
            case "an empty file":
                File.WriteAllBytes(replacementFile, []);
                break;
            default:
                File.Copy(ledger.DatabasePath, replacementFile);
                break;
        }

        File.Move(replacementFile, ledger.DatabasePath, overwrite: true);
        ledger.Add(2);
        await ledger.Ledger.FlushAsync();

        var expected = replacement switch
        {
            "another ledger" => new[] { 100L, 2L },
            "a copy of itself" => [1L, 2L],
            _ => [2L],
        };
        Assert.Equal(expected, ledger.WrittenSeconds());
        Assert.Equal(0, ledger.Ledger.DroppedRecords);
        if (replacement != "a copy of itself")
        {
            // A copy carries the same instance id: the same ledger, so there is nothing to report, and it is still
            // written through the path (the old, unlinked file would not show record 2 here).
            Assert.Contains("was replaced by another file while running", ledger.LogText, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Write_AfterTheFileIsReplacedByANonDatabase_IsLoggedAndKept_AndWrittenOnceItIsRepaired()
    {
        await using var ledger = LedgerUnderTest.Create(new SqliteLedgerStore());
        ledger.Add(1);
        await ledger.Ledger.FlushAsync();

        DeleteDatabase(ledger.DatabasePath);
        File.WriteAllBytes(ledger.DatabasePath, Enumerable.Range(0, 8192).Select(i => (byte)(i * 7 + 3)).ToArray());
        ledger.Add(2);
        await ledger.Ledger.FlushAsync();

        Assert.Equal(0, ledger.Ledger.DroppedRecords);
        Assert.Contains("is not a SQLite database", ledger.LogText, StringComparison.Ordinal);
        Assert.Contains("kept for the next write", ledger.LogText, StringComparison.Ordinal);

        File.Delete(ledger.DatabasePath);
        await ledger.Ledger.FlushAsync();
        Assert.Equal([2L], ledger.WrittenSeconds());
    }

    private static void DeleteDatabase(string path)
    {
        foreach (var file in new[] { path, path + "-wal", path + "-shm" })
        {
            File.Delete(file);
        }
    }
}
