namespace HybridInference.Sqlite;

/// <summary>
/// What is checked, when the services start, about <see cref="CostLedgerOptions.DatabasePath"/>: it opens (or creates)
/// the database and writes a probe row, so a directory, a file that is not a database, a truncated or corrupt one, or a
/// read-only one stops start-up with an error that names the configuration key and the path.
/// </summary>
internal static class CostLedgerDatabaseValidator
{
    /// <summary>The key of the path in the documented configuration section.</summary>
    public const string DefaultKey = "HybridInference:Observability:Ledger:DatabasePath";

    /// <summary>Opens the database as the ledger will.</summary>
    /// <exception cref="InvalidOperationException">The path cannot hold the ledger; the message names it and why.</exception>
    public static void Open(CostLedgerOptions options)
    {
        string fullPath;
        try
        {
            fullPath = Path.GetFullPath(options.DatabasePath);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new InvalidOperationException($"'{options.DatabasePath}' is not a valid file path ({ex.Message}).", ex);
        }

        LedgerDatabase.Prepare(fullPath, LedgerDatabase.DefaultBusyTimeoutSeconds);
    }
}
