using System.Diagnostics;
using HybridInference.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace HybridInference.Sqlite.Tests;

/// <summary>
/// A <c>DatabasePath</c> that cannot hold the ledger stops the host's start with an error naming the configuration key
/// and the path, instead of a raw <see cref="SqliteException"/> at the first write.
/// </summary>
public sealed class CostLedgerDatabaseValidatorTests : IDisposable
{
    private const string Key = "HybridInference:Observability:Ledger:DatabasePath";

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "hi-ledger-start-" + Guid.NewGuid().ToString("N"));
    private readonly List<string> _immutable = [];

    public CostLedgerDatabaseValidatorTests() => Directory.CreateDirectory(_folder);

    public static TheoryData<string> BadPaths() =>
    [
        "a directory",
        "random bytes",
        "a file shorter than a header",
        "a text file",
        "a truncated database",
        "a database with a zeroed header",
        "a database with a corrupt schema page",
        "a database with a corrupt table page",
        "a database of a newer schema",
        "a folder that is a file",
        "a read-only file",
        "a read-only folder",
        "a read-only folder holding the file",
    ];

    [Theory]
    [MemberData(nameof(BadPaths))]
    public async Task HostStart_WithABadDatabasePath_FailsNamingTheKeyAndThePath(string kind)
    {
        var (path, reasons) = Arrange(kind);
        using var host = BuildHost(path);

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(Key, error.Message, StringComparison.Ordinal);
        Assert.Contains($"'{path}'", error.Message, StringComparison.Ordinal);
        Assert.True(reasons.Any(reason => error.Message.Contains(reason, StringComparison.Ordinal)), $"{kind}: '{error.Message}' gives none of: {string.Join(", ", reasons)}");
    }

    [Theory]
    [MemberData(nameof(BadPaths))]
    public void Resolve_WithABadDatabasePath_WithoutAHost_FailsWithTheSameTypedError(string kind)
    {
        var (path, _) = Arrange(kind);
        using var host = BuildHost(path);

        var error = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<ICostLedger>());

        Assert.Contains(Key, error.Message, StringComparison.Ordinal);
        Assert.Contains($"'{path}'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HostStart_WithAPathThatIsNoPath_FailsNamingTheKey()
    {
        using var host = BuildHost("costs\0.db");

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains($"{Key}: 'costs", error.Message, StringComparison.Ordinal);
        Assert.Contains("is not a valid file path", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HostStart_InAFolderThatDoesNotExist_CreatesTheFolderAndTheDatabase()
    {
        var path = Path.Combine(_folder, "a", "b", "costs.db");
        using var host = BuildHost(path);

        await host.StartAsync();
        await host.StopAsync();

        Assert.True(File.Exists(path));
        Assert.Empty(SqliteLedgerStore.ReadRows(path));
    }

    [Fact]
    public async Task HostStart_WithAnExistingLedger_KeepsItsRecords()
    {
        var path = Path.Combine(_folder, "costs.db");
        await using (var first = new SqliteCostLedger(new CostLedgerOptions { DatabasePath = path }, 90, new FakeTimeProvider(), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance))
        {
            first.OnRequestFinished(LedgerUnderTest.Record(1));
        }

        // The host's clock is the record's, so the record is inside retention (90 days) whatever today's date is.
        using var host = BuildHost(path, time: new FakeTimeProvider(LedgerUnderTest.At(2)));
        await host.StartAsync();
        await host.StopAsync();

        Assert.Single(SqliteLedgerStore.ReadRows(path));
    }

    [Fact]
    public async Task HostStart_BoundFromAnotherSection_NamesThatSectionsKey()
    {
        using var host = BuildHost(_folder, section: "Costs:Ledger");

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Costs:Ledger:DatabasePath", error.Message, StringComparison.Ordinal);
        Assert.Contains("is a directory", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HostStart_ConfiguredInCode_NamesTheDocumentedKey()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddHybridInference(o => o.Local.Backends.Add(new BackendOptions { Name = "local", Provider = "vllm" }))
            .AddLocalBackend("local", _ => new FakeChatClient())
            .AddSqliteCostLedger(o => o.DatabasePath = _folder);
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains($"{Key}: The cost ledger database '{_folder}' is a directory", error.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        foreach (var path in _immutable)
        {
            Chattr("-i", path);
        }

        SetWritable(_folder);
        Directory.Delete(_folder, recursive: true);
    }

    private static void SetWritable(string folder)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        foreach (var directory in Directory.EnumerateDirectories(folder, "*", SearchOption.AllDirectories).Append(folder))
        {
            File.SetUnixFileMode(directory, (UnixFileMode)0b111_111_101);
        }
    }

    private (string Path, string[] Reasons) Arrange(string kind)
    {
        var path = Path.Combine(_folder, "costs.db");
        switch (kind)
        {
            case "a directory":
                Directory.CreateDirectory(path);
                return (path, ["is a directory"]);
            case "random bytes":
                var bytes = new byte[8192];
                new Random(13).NextBytes(bytes);
                File.WriteAllBytes(path, bytes);
                return (path, ["is not a SQLite database"]);
            case "a file shorter than a header":
                File.WriteAllText(path, "SQLite format 3");
                return (path, ["is not a SQLite database (it is 15 bytes long"]);
            case "a text file":
                File.WriteAllText(path, string.Concat(Enumerable.Repeat("{ \"HybridInference\": { } }\n", 100)));
                return (path, ["is not a SQLite database"]);
            case "a truncated database":
                CreateBigDatabase(path);
                using (var file = new FileStream(path, FileMode.Open))
                {
                    file.SetLength(file.Length / 2);
                }

                return (path, ["is truncated"]);
            case "a database with a zeroed header":
                LedgerDatabase.Prepare(path, 1);
                Overwrite(path, 0, 16, 0);
                return (path, ["is not a SQLite database"]);
            case "a database with a corrupt schema page":
                LedgerDatabase.Prepare(path, 1);
                Overwrite(path, 100, 4096 - 100, 0xFF);
                return (path, ["is corrupt", "is not a SQLite database"]);
            case "a database with a corrupt table page":
                LedgerDatabase.Prepare(path, 1);
                Overwrite(path, 4096, 4096, 0xFF);
                return (path, ["is corrupt"]);
            case "a database of a newer schema":
                LedgerDatabase.Prepare(path, 1);
                using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
                {
                    connection.Open();
                    using var command = connection.CreateCommand();
                    command.CommandText = "PRAGMA user_version = 99;";
                    command.ExecuteNonQuery();
                }

                return (path, ["schema version 99"]);
            case "a folder that is a file":
                var file2 = Path.Combine(_folder, "not-a-folder");
                File.WriteAllText(file2, "x");
                return (Path.Combine(file2, "costs.db"), ["its folder", "cannot be created"]);
            case "a read-only file":
                LedgerDatabase.Prepare(path, 1);
                MakeReadOnly(path);
                return (path, ["is read-only"]);
            case "a read-only folder":
                var locked = Path.Combine(_folder, "locked");
                Directory.CreateDirectory(locked);
                MakeReadOnly(locked);
                return (Path.Combine(locked, "costs.db"), ["is read-only", "cannot be opened or created"]);
            default:
                var lockedWithFile = Path.Combine(_folder, "locked");
                Directory.CreateDirectory(lockedWithFile);
                var inside = Path.Combine(lockedWithFile, "costs.db");
                LedgerDatabase.Prepare(inside, 1);
                MakeReadOnly(lockedWithFile);
                return (inside, ["is read-only", "cannot be opened or created"]);
        }
    }

    /// <summary>
    /// Makes a file or folder read-only for this process. Permission bits do that for a normal user; root ignores them,
    /// so as root the file is also made immutable (<c>chattr +i</c>), and if that is not possible the test fails saying
    /// so rather than passing on a writable file.
    /// </summary>
    private void MakeReadOnly(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            File.SetAttributes(path, File.GetAttributes(path) | FileAttributes.ReadOnly);
            return;
        }

        File.SetUnixFileMode(path, Directory.Exists(path) ? (UnixFileMode)0b101_101_101 : (UnixFileMode)0b100_100_100);
        if (Environment.IsPrivilegedProcess)
        {
            Assert.True(Chattr("+i", path), $"Running as root, where permission bits do not stop writes, and 'chattr +i {path}' failed: the read-only case cannot be set up on this machine.");
            _immutable.Add(path);
        }
    }

    private static bool Chattr(string flag, string path)
    {
        try
        {
            using var chattr = Process.Start(new ProcessStartInfo("chattr", [flag, path]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            chattr.WaitForExit();
            return chattr.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    private static void CreateBigDatabase(string path)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            CREATE TABLE filler (x BLOB);
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) INSERT INTO filler SELECT randomblob(1000) FROM n;
            """;
        command.ExecuteNonQuery();
    }

    private static void Overwrite(string path, long offset, int count, byte value)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Write);
        file.Position = offset;
        file.Write(Enumerable.Repeat(value, count).ToArray());
    }

    private static IHost BuildHost(string path, string section = "HybridInference:Observability:Ledger", TimeProvider? time = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        if (time is not null)
        {
            builder.Services.AddSingleton(time);
        }

        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["HybridInference:Local:Backends:0:Name"] = "local",
            ["HybridInference:Local:Backends:0:Provider"] = "vllm",
            ["HybridInference:Local:Backends:0:Model"] = "local-model",
            [section + ":DatabasePath"] = path,
        });
        builder.Services.AddHybridInference(builder.Configuration.GetSection("HybridInference"))
            .AddLocalBackend("local", _ => new FakeChatClient("local-model"))
            .AddSqliteCostLedger(builder.Configuration.GetSection(section));
        return builder.Build();
    }
}
