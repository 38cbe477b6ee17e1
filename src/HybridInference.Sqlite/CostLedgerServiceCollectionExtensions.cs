using HybridInference.Cost;
using HybridInference.DependencyInjection;
using HybridInference.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace HybridInference;

/// <summary>Adds the SQLite cost ledger to the hybrid client.</summary>
public static class CostLedgerServiceCollectionExtensions
{
    /// <summary>
    /// Records every finished request of the hybrid client in a SQLite database, and registers
    /// <see cref="ICostLedger"/> to query it. Records older than <c>HybridInference:Observability:RetentionDays</c>
    /// are pruned.
    /// </summary>
    /// <param name="builder">The hybrid client's builder, from <c>AddHybridInference</c>.</param>
    /// <param name="configure">Sets the options; <see cref="CostLedgerOptions.DatabasePath"/> is required.</param>
    /// <returns><paramref name="builder"/>.</returns>
    public static HybridInferenceBuilder AddSqliteCostLedger(this HybridInferenceBuilder builder, Action<CostLedgerOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddOptions<CostLedgerOptions>().Configure(configure);
        return Register(builder, CostLedgerDatabaseValidator.DefaultKey);
    }

    /// <summary>
    /// Records every finished request of the hybrid client in a SQLite database configured by
    /// <paramref name="section"/> (usually <c>HybridInference:Observability:Ledger</c>), and registers
    /// <see cref="ICostLedger"/> to query it. Under the <c>HybridInference</c> section, its keys are declared to the
    /// hybrid client's check for keys nothing reads (<see cref="HybridInferenceBuilder.DeclareConfigurationSection"/>).
    /// </summary>
    /// <param name="builder">The hybrid client's builder, from <c>AddHybridInference</c>.</param>
    /// <param name="section">The configuration section of <see cref="CostLedgerOptions"/>.</param>
    /// <returns><paramref name="builder"/>.</returns>
    public static HybridInferenceBuilder AddSqliteCostLedger(this HybridInferenceBuilder builder, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(section);
        return Register(builder, SectionBinding.Bind<CostLedgerOptions>(builder, section, "DatabasePath", CostLedgerDatabaseValidator.DefaultKey));
    }

    private static HybridInferenceBuilder Register(HybridInferenceBuilder builder, string pathKey) =>

        // Opens the database at start-up, so a path that cannot hold it stops the host naming the key and the path.
        CostLedgerRegistration.Add(
            builder,
            new CostLedgerOptionsValidator(),
            pathKey,
            options => options.DatabasePath,
            CostLedgerDatabaseValidator.Open,
            (options, retentionDays, time, logger, meters) => new SqliteCostLedger(options, retentionDays, time, logger, meters));
}

/// <summary>Checks <see cref="CostLedgerOptions"/> against its attributes when the services start.</summary>
[OptionsValidator]
internal sealed partial class CostLedgerOptionsValidator : IValidateOptions<CostLedgerOptions>;
