using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace HybridInference.PostgreSql.Tests;

/// <summary>
/// A real PostgreSQL server for the test run: a cluster made with <c>initdb</c> in a temporary folder, on a free port
/// of 127.0.0.1, started once (a collection fixture) and stopped and deleted at the end. PostgreSQL refuses to run as
/// root, so as root (CI) the cluster belongs to the <c>postgres</c> user and its tools run through <c>runuser</c>.
/// </summary>
/// <remarks>
/// The server binaries come from Debian's <c>postgresql</c> package (<c>/usr/lib/postgresql/N/bin</c>), from
/// <c>HYBRID_POSTGRES_BIN</c>, or from the PATH. Missing, every test of the collection fails saying what to install.
/// fsync is off (the tests kill the server, never the machine: what a commit wrote to the OS survives the kill);
/// commits stay synchronous, so a record the ledger saw committed is there after a restart.
/// </remarks>
public sealed class PostgreSqlServer : IDisposable
{
    /// <summary>The superuser the tests connect as.</summary>
    public const string User = "hybrid";

    private const string RunAs = "postgres";
    private static int s_schemas;

    private readonly string _bin;
    private readonly string? _runAs;

    public PostgreSqlServer()
    {
        _bin = FindBinaries();
        _runAs = Environment.IsPrivilegedProcess ? RunAs : null;
        Folder = _runAs is null
            ? Directory.CreateTempSubdirectory("hi-pg-").FullName
            : Run("mktemp", "-d", Path.Combine(Path.GetTempPath(), "hi-pg-XXXXXXXX")).Trim();
        Password = "pw-" + Guid.NewGuid().ToString("N");
        Port = FreePort();

        var passwordFile = Path.Combine(Folder, "password");
        File.WriteAllText(passwordFile, Password);
        Run(Path.Combine(_bin, "initdb"), "-D", DataFolder, "-U", User, "--pwfile", passwordFile, "-A", "scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync");
        File.Delete(passwordFile);
        File.AppendAllText(Path.Combine(DataFolder, "postgresql.conf"), string.Create(CultureInfo.InvariantCulture, $"""

            port = {Port}
            listen_addresses = '127.0.0.1'
            unix_socket_directories = '{Folder}'
            fsync = off
            full_page_writes = off
            max_connections = 200
            """));
        Start();
        Execute("postgres", $"CREATE DATABASE {LedgerDatabase}");
    }

    /// <summary>The database the tests' ledgers live in, each in a schema of its own.</summary>
    public const string LedgerDatabase = "ledgers";

    /// <summary>Gets the folder of the cluster (its data, log and socket).</summary>
    public string Folder { get; }

    /// <summary>Gets the port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>Gets the superuser's password (the secret the tests look for in errors and logs).</summary>
    public string Password { get; }

    private string DataFolder => Path.Combine(Folder, "data");

    /// <summary>The connection string of <paramref name="database"/> as the superuser.</summary>
    public string ConnectionString(string database, string? password = null) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Database = database,
        Username = User,
        Password = password ?? Password,
        Timeout = 10,
    }.ConnectionString;

    /// <summary>Creates an empty schema of its own for one test (quicker than a database: no checkpoint to drop it).</summary>
    /// <returns>The connection string of the ledger database with the schema as its search path.</returns>
    public string CreateSchema()
    {
        var name = "ledger_" + Interlocked.Increment(ref s_schemas).ToString(CultureInfo.InvariantCulture);
        Execute(LedgerDatabase, $"CREATE SCHEMA {name}");
        return new NpgsqlConnectionStringBuilder(ConnectionString(LedgerDatabase)) { SearchPath = name }.ConnectionString;
    }

    /// <summary>Drops a test's schema with its tables.</summary>
    public void DropSchema(string connectionString) =>
        Execute(LedgerDatabase, $"DROP SCHEMA IF EXISTS {new NpgsqlConnectionStringBuilder(connectionString).SearchPath} CASCADE");

    /// <summary>Runs <paramref name="sql"/> on <paramref name="database"/> through a connection of its own.</summary>
    public void Execute(string database, string sql) => ExecuteOn(ConnectionString(database), sql);

    /// <summary>Runs <paramref name="sql"/> through a connection of its own to <paramref name="connectionString"/>.</summary>
    public static void ExecuteOn(string connectionString, string sql)
    {
        using var connection = new NpgsqlConnection(connectionString + ";Pooling=false");
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }

    /// <summary>Kills the server at once (no checkpoint, no goodbye to the clients), as a crash or an OOM kill would.</summary>
    public void Kill() => Run(Path.Combine(_bin, "pg_ctl"), "-D", DataFolder, "-m", "immediate", "-w", "stop");

    /// <summary>Starts the server and waits until it takes connections.</summary>
    public void Start() => Run(Path.Combine(_bin, "pg_ctl"), "-D", DataFolder, "-l", Path.Combine(Folder, "server.log"), "-w", "-t", "120", "start");

    public void Dispose()
    {
        NpgsqlConnection.ClearAllPools();
        try
        {
            Run(Path.Combine(_bin, "pg_ctl"), "-D", DataFolder, "-m", "fast", "-w", "stop");
        }
        finally
        {
            Directory.Delete(Folder, recursive: true);
        }
    }

    /// <summary>Finds <c>initdb</c> and <c>pg_ctl</c>: HYBRID_POSTGRES_BIN, the newest Debian install, or the PATH.</summary>
    private static string FindBinaries()
    {
        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable("HYBRID_POSTGRES_BIN") is { Length: > 0 } configured)
        {
            candidates.Add(configured);
        }

        if (Directory.Exists("/usr/lib/postgresql"))
        {
            candidates.AddRange(Directory.GetDirectories("/usr/lib/postgresql")
                .OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var major) ? major : 0)
                .Select(d => Path.Combine(d, "bin")));
        }

        candidates.AddRange((Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        return candidates.FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")))
            ?? throw new InvalidOperationException(
                "The PostgreSQL ledger tests need a PostgreSQL server (initdb and pg_ctl), and none was found in HYBRID_POSTGRES_BIN, " +
                "/usr/lib/postgresql/*/bin or the PATH. Install Debian's package: apt-get install postgresql (.ci/run does this when it is missing).");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Runs a tool, as the <c>postgres</c> user when the tests run as root; a failure throws with its output.</summary>
    private string Run(string tool, params string[] arguments)
    {
        var start = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (_runAs is null)
        {
            start.FileName = tool;
        }
        else
        {
            if (!File.Exists("/usr/sbin/runuser") && !File.Exists("/usr/bin/runuser"))
            {
                throw new InvalidOperationException("The tests run as root and PostgreSQL refuses root: runuser (util-linux) is needed to run it as the postgres user.");
            }

            start.FileName = "runuser";
            start.ArgumentList.Add("-u");
            start.ArgumentList.Add(_runAs);
            start.ArgumentList.Add("--");
            start.ArgumentList.Add(tool);
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{tool} did not finish in 3 minutes.");
        }

        if (process.ExitCode != 0)
        {
            var user = _runAs is null ? string.Empty : $" (as the user {_runAs}: Debian's postgresql package creates it)";
            throw new InvalidOperationException($"{tool} {string.Join(' ', arguments)}{user} failed with exit code {process.ExitCode}: {error.Result}{output.Result}");
        }

        return output.Result;
    }
}

/// <summary>The tests that use the test run's PostgreSQL server: one server, started once; these run one at a time (one kills it).</summary>
[CollectionDefinition(Name)]
public sealed class PostgreSqlCollection : ICollectionFixture<PostgreSqlServer>
{
    public const string Name = "PostgreSQL";
}
