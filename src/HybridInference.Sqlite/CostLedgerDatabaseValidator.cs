using Microsoft.Extensions.Options;

namespace HybridInference.Sqlite;

/// <summary>
/// Checks, when the services start, that <see cref="CostLedgerOptions.DatabasePath"/> can hold the ledger: it opens (or
/// creates) the database and writes a probe row, so a directory, a file that is not a database, a truncated or corrupt
/// one, or a read-only one stops start-up with an error that names the configuration key and the path.
/// </summary>
/// <param name="key">The configuration key of the path, e.g. <c>HybridInference:Observability:Ledger:DatabasePath</c>.</param>
internal sealed class CostLedgerDatabaseValidator(string key) : IValidateOptions<CostLedgerOptions>
{
    /// <summary>The key of the path in the documented configuration section.</summary>
    public const string DefaultKey = "HybridInference:Observability:Ledger:DatabasePath";

    /// <inheritdoc/>
    public ValidateOptionsResult Validate(string? name, CostLedgerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.DatabasePath))
        {
            return ValidateOptionsResult.Skip; // Required: reported by the attribute validator.
        }

        string fullPath;
        try
        {
            fullPath = Path.GetFullPath(options.DatabasePath);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return ValidateOptionsResult.Fail($"{key}: '{options.DatabasePath}' is not a valid file path ({ex.Message}).");
        }

        try
        {
            LedgerDatabase.Prepare(fullPath, LedgerDatabase.DefaultBusyTimeoutSeconds);
            return ValidateOptionsResult.Success;
        }
        catch (InvalidOperationException ex)
        {
            return ValidateOptionsResult.Fail($"{key}: {ex.Message}");
        }
    }
}
