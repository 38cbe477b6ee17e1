using HybridInference.Cost;
using HybridInference.DependencyInjection;
using HybridInference.PostgreSql;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace HybridInference;

/// <summary>Adds the PostgreSQL cost ledger, shared by every replica of an app, to the hybrid client.</summary>
public static class PostgreSqlCostLedgerServiceCollectionExtensions
{
    /// <summary>
    /// Records every finished request of the hybrid client in a PostgreSQL database that every replica writes to, and
    /// registers <see cref="ICostLedger"/> to query all of them. Records older than
    /// <c>HybridInference:Observability:RetentionDays</c> are pruned.
    /// </summary>
    /// <param name="builder">The hybrid client's builder, from <c>AddHybridInference</c>.</param>
    /// <param name="configure">Sets the options; <see cref="PostgreSqlCostLedgerOptions.ConnectionString"/> is required.</param>
    /// <returns><paramref name="builder"/>.</returns>
    public static HybridInferenceBuilder AddPostgreSqlCostLedger(this HybridInferenceBuilder builder, Action<PostgreSqlCostLedgerOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddOptions<PostgreSqlCostLedgerOptions>().Configure(configure);
        return Register(builder, PostgreSqlLedgerDatabaseValidator.DefaultKey);
    }

    /// <summary>
    /// Records every finished request of the hybrid client in a PostgreSQL database configured by
    /// <paramref name="section"/> (usually <c>HybridInference:Observability:Ledger</c>), and registers
    /// <see cref="ICostLedger"/> to query it. Under the <c>HybridInference</c> section, its keys are declared to the
    /// hybrid client's check for keys nothing reads (<see cref="HybridInferenceBuilder.DeclareConfigurationSection"/>).
    /// </summary>
    /// <param name="builder">The hybrid client's builder, from <c>AddHybridInference</c>.</param>
    /// <param name="section">The configuration section of <see cref="PostgreSqlCostLedgerOptions"/>.</param>
    /// <returns><paramref name="builder"/>.</returns>
    public static HybridInferenceBuilder AddPostgreSqlCostLedger(this HybridInferenceBuilder builder, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(section);
        return Register(builder, SectionBinding.Bind<PostgreSqlCostLedgerOptions>(builder, section, "ConnectionString", PostgreSqlLedgerDatabaseValidator.DefaultKey));
    }

    private static HybridInferenceBuilder Register(HybridInferenceBuilder builder, string connectionStringKey) =>

        // Connects at start-up, so a server that cannot hold the ledger stops the host naming the key and the server.
        CostLedgerRegistration.Add(
            builder,
            new PostgreSqlCostLedgerOptionsValidator(),
            connectionStringKey,
            options => options.ConnectionString,
            PostgreSqlLedgerDatabaseValidator.Open,
            (options, retentionDays, time, logger, meters) => new PostgreSqlCostLedger(options, retentionDays, time, logger, meters));
}

/// <summary>Checks <see cref="PostgreSqlCostLedgerOptions"/> against its attributes when the services start.</summary>
[OptionsValidator]
internal sealed partial class PostgreSqlCostLedgerOptionsValidator : IValidateOptions<PostgreSqlCostLedgerOptions>;
