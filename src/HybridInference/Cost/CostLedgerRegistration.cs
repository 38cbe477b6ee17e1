using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace HybridInference.Cost;

/// <summary>Registers a ledger package's ledger the same way for every database: validated at start, one instance, queried and fed.</summary>
internal static class CostLedgerRegistration
{
    /// <summary>
    /// Validates <typeparamref name="TOptions"/> when the services start (its attributes, then the database itself, so a
    /// database that cannot hold the ledger stops the host naming the key), and registers <typeparamref name="TLedger"/>
    /// once, as <see cref="ICostLedger"/> and as a listener of finished requests.
    /// </summary>
    /// <param name="builder">The hybrid client's builder.</param>
    /// <param name="attributes">The validator of the options' attributes.</param>
    /// <param name="key">The configuration key of where the database is, named by the errors of <paramref name="open"/>.</param>
    /// <param name="location">Reads where the database is from the options.</param>
    /// <param name="open">Opens the database at start-up (<see cref="LedgerDatabaseValidator{TOptions}"/>).</param>
    /// <param name="create">Builds the ledger from its options, the retention in days, the clock, the logger and the meter factory.</param>
    public static HybridInferenceBuilder Add<TOptions, TLedger>(
        HybridInferenceBuilder builder,
        IValidateOptions<TOptions> attributes,
        string key,
        Func<TOptions, string> location,
        Action<TOptions> open,
        Func<TOptions, int, TimeProvider, ILogger, IMeterFactory?, TLedger> create)
        where TOptions : class
        where TLedger : BatchedCostLedger
    {
        var services = builder.Services;
        services.AddOptions<TOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton(attributes));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TOptions>>(new LedgerDatabaseValidator<TOptions>(key, location, open)));
        services.TryAddSingleton(provider => create(
            provider.GetRequiredService<IOptions<TOptions>>().Value,
            provider.GetRequiredService<IOptions<HybridInferenceOptions>>().Value.Observability.RetentionDays,
            provider.GetService<TimeProvider>() ?? TimeProvider.System,
            provider.GetService<ILoggerFactory>()?.CreateLogger<ICostLedger>() ?? NullLogger<ICostLedger>.Instance,
            provider.GetService<IMeterFactory>()));
        services.TryAddSingleton<ICostLedger>(provider => provider.GetRequiredService<TLedger>());
        services.AddSingleton<IRouteOutcomeListener>(provider => provider.GetRequiredService<TLedger>());
        return builder;
    }
}
