namespace HybridInference.PostgreSql;

/// <summary>
/// What is checked, when the services start, about <see cref="PostgreSqlCostLedgerOptions.ConnectionString"/>: it
/// connects, creates or migrates the tables and writes a probe row, so a server that cannot be reached, a refused login,
/// a missing database or privilege, or a database of a newer ledger schema stops start-up with an error that names the
/// configuration key and the server (host and port), never the password.
/// </summary>
internal static class PostgreSqlLedgerDatabaseValidator
{
    /// <summary>The key of the connection string in the documented configuration section.</summary>
    public const string DefaultKey = "HybridInference:Observability:Ledger:ConnectionString";

    /// <summary>Opens the database as the ledger will.</summary>
    /// <exception cref="InvalidOperationException">The database cannot hold the ledger; the message names the server and why.</exception>
    public static void Open(PostgreSqlCostLedgerOptions options)
    {
        var database = PostgreSqlLedgerDatabase.Parse(options.ConnectionString);
        using var dataSource = database.CreateDataSource();
        database.PrepareAsync(dataSource, CancellationToken.None).GetAwaiter().GetResult();
    }
}
