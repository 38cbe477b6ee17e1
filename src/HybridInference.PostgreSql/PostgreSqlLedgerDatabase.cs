using System.Globalization;
using System.Net.Sockets;
using Npgsql;

namespace HybridInference.PostgreSql;

/// <summary>
/// The ledger's connection to PostgreSQL, and what is wrong, in words, with one that cannot hold the ledger: the same
/// checks run when the services start (<see cref="PostgreSqlLedgerDatabaseValidator"/>) and when the ledger opens.
/// </summary>
/// <remarks>
/// The connection string is a secret: what these messages show is the host, the port, the database and the user, and
/// any text from the server or the driver has the password taken out.
/// </remarks>
internal sealed class PostgreSqlLedgerDatabase
{
    /// <summary>The application name the ledger's sessions show in <c>pg_stat_activity</c> unless the string sets one.</summary>
    public const string ApplicationName = "HybridInference.Ledger";

    private readonly string? _password;

    private PostgreSqlLedgerDatabase(NpgsqlConnectionStringBuilder settings)
    {
        _password = string.IsNullOrEmpty(settings.Password) ? null : settings.Password;
        settings.ApplicationName ??= ApplicationName;
        Server = $"{settings.Host}:{settings.Port.ToString(CultureInfo.InvariantCulture)}";
        Display = $"{Server}/{settings.Database ?? settings.Username ?? "(default)"}";
        ConnectionString = settings.ConnectionString;
    }

    /// <summary>Gets the server as <c>host:port</c>.</summary>
    public string Server { get; }

    /// <summary>Gets the database as the log and the errors name it: <c>host:port/database</c>.</summary>
    public string Display { get; }

    /// <summary>Gets the connection string (a secret: never shown).</summary>
    public string ConnectionString { get; }

    /// <summary>Reads a connection string without ever echoing it.</summary>
    /// <exception cref="InvalidOperationException">It is not a valid Npgsql connection string, or names no host.</exception>
    public static PostgreSqlLedgerDatabase Parse(string connectionString)
    {
        NpgsqlConnectionStringBuilder settings;
        try
        {
            settings = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidCastException or OverflowException)
        {
            // The driver's message may quote a piece of the string, which may be a piece of the password.
            throw new InvalidOperationException(
                $"The cost ledger's connection string is not a valid Npgsql connection string ({ex.GetType().Name}; check its keywords and quoting: the string is not shown, it may hold a password)", ex);
        }

        if (string.IsNullOrWhiteSpace(settings.Host))
        {
            throw new InvalidOperationException("The cost ledger's connection string names no Host (e.g. Host=db;Database=app;Username=ledger;Password=...)");
        }

        return new PostgreSqlLedgerDatabase(settings);
    }

    /// <summary>Creates the pool of connections the ledger uses.</summary>
    public NpgsqlDataSource CreateDataSource() => NpgsqlDataSource.Create(ConnectionString);

    /// <summary>
    /// Makes the database a ledger that takes writes: creates or migrates its tables and writes a probe row that is
    /// rolled back.
    /// </summary>
    /// <exception cref="InvalidOperationException">
    /// The database cannot hold the ledger (the server cannot be reached, refuses the login, or holds a ledger of a newer
    /// schema); the message names the server and why, never the password.
    /// </exception>
    public async Task PrepareAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        try
        {
            var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var connectionLease = connection.ConfigureAwait(false);
            await PostgreSqlLedgerSchema.ApplyAsync(connection, Display, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or SocketException)
        {
            throw new InvalidOperationException($"The cost ledger database {Display} {Describe(ex)}.", ex);
        }
    }

    /// <summary>Says what an error means for the ledger, the server's or driver's words after it, the password taken out.</summary>
    public string Describe(Exception exception) => Scrub(exception switch
    {
        PostgresException server => $"{What(server)} (PostgreSQL error {server.SqlState}: {server.MessageText})",
        NpgsqlException { InnerException: SocketException or TimeoutException or IOException } driver =>
            $"cannot be reached: the PostgreSQL server at {Server} does not answer ({driver.InnerException!.Message})",
        NpgsqlException driver => $"cannot be used: {driver.Message}",
        TimeoutException or SocketException => $"cannot be reached: the PostgreSQL server at {Server} does not answer ({exception.Message})",
        _ => $"{exception.GetType().Name}: {exception.Message}",
    });

    /// <summary>
    /// Tells whether a server error is about the one record being written (its data refused: SQLSTATE class 22, or a
    /// constraint: class 23) rather than about the database as a whole, which fails the whole write.
    /// </summary>
    public static bool IsRecordError(Exception exception) => exception is PostgresException { SqlState: ['2', '2' or '3', ..] };

    private string What(PostgresException error) => error.SqlState switch
    {
        ['2', '8', ..] => "refused the login (check the user and password of the connection string)",
        "3D000" => "does not exist (create it, or name another in the connection string)",
        "42501" => "does not grant the ledger's user what it needs (CREATE on the schema, INSERT, SELECT and DELETE on the tables)",
        "42P01" => "has lost the ledger's table",
        "55P03" => "is locked by another session",
        ['5', '3', ..] => "is out of resources (disk, memory or connections)",
        ['5', '7', ..] => $"is shutting down, starting up or cancelled the query (the PostgreSQL server at {Server})",
        ['0', '8', ..] => $"lost its connection to the PostgreSQL server at {Server}",
        ['4', '0', ..] => "rolled the transaction back (serialization failure or deadlock)",
        ['2', '5', ..] => "is read-only or in a failed transaction",
        _ => "cannot be used",
    };

    private string Scrub(string text) => _password is null ? text : text.Replace(_password, "***", StringComparison.Ordinal);
}
