using Microsoft.Extensions.Options;

namespace HybridInference.PostgreSql;

/// <summary>
/// Checks, when the services start, that <see cref="PostgreSqlCostLedgerOptions.ConnectionString"/> leads to a database
/// that can hold the ledger: it connects, creates or migrates the tables and writes a probe row, so a server that cannot
/// be reached, a refused login, a missing database or privilege, or a database of a newer ledger schema stops start-up
/// with an error that names the configuration key and the server (host and port), never the password.
/// </summary>
/// <param name="key">The configuration key of the connection string, e.g. <c>HybridInference:Observability:Ledger:ConnectionString</c>.</param>
internal sealed class PostgreSqlLedgerDatabaseValidator(string key) : IValidateOptions<PostgreSqlCostLedgerOptions>
{
    /// <summary>The key of the connection string in the documented configuration section.</summary>
    public const string DefaultKey = "HybridInference:Observability:Ledger:ConnectionString";

    /// <inheritdoc/>
    public ValidateOptionsResult Validate(string? name, PostgreSqlCostLedgerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            return ValidateOptionsResult.Skip; // Required: reported by the attribute validator.
        }

        try
        {
            var database = PostgreSqlLedgerDatabase.Parse(options.ConnectionString);
            using var dataSource = database.CreateDataSource();
            database.PrepareAsync(dataSource, CancellationToken.None).GetAwaiter().GetResult();
            return ValidateOptionsResult.Success;
        }
        catch (InvalidOperationException ex)
        {
            return ValidateOptionsResult.Fail($"{key}: {ex.Message}");
        }
    }
}
