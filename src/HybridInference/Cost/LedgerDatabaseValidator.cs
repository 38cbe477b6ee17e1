using Microsoft.Extensions.Options;

namespace HybridInference.Cost;

/// <summary>
/// Checks, when the services start, that a ledger's database can hold it, by opening it as the ledger will (a package's
/// <c>open</c> creates or migrates the tables and writes a probe row), so a bad database stops start-up with an error
/// that names the configuration key, rather than failing at the first write.
/// </summary>
/// <param name="key">The configuration key of where the database is, e.g. <c>HybridInference:Observability:Ledger:DatabasePath</c>.</param>
/// <param name="location">Reads where the database is from the options; blank is left to the attribute validator (required).</param>
/// <param name="open">Opens the database; throws <see cref="InvalidOperationException"/> saying what is wrong, never a secret.</param>
internal sealed class LedgerDatabaseValidator<TOptions>(string key, Func<TOptions, string> location, Action<TOptions> open) : IValidateOptions<TOptions>
    where TOptions : class
{
    /// <inheritdoc/>
    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(location(options)))
        {
            return ValidateOptionsResult.Skip; // Required: reported by the attribute validator.
        }

        try
        {
            open(options);
            return ValidateOptionsResult.Success;
        }
        catch (InvalidOperationException ex)
        {
            return ValidateOptionsResult.Fail($"{key}: {ex.Message}");
        }
    }
}
