using HybridInference;
using HybridInference.DependencyInjection;
using HybridInference.Internal;
using HybridInference.JsonSchema;
using HybridInference.Refinement;
using HybridInference.Status;
using HybridInference.Telemetry;
using HybridInference.Tokens;
using Microsoft.Extensions.AI;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the hybrid client in a service collection.</summary>
public static class HybridInferenceServiceCollectionExtensions
{
    /// <summary>
    /// The service key the hybrid client is registered under (as a keyed <see cref="IChatClient"/>), besides the
    /// unkeyed <see cref="IChatClient"/>. Wrap it with Microsoft.Extensions.AI's conventions through this key, for
    /// example <c>services.AddChatClient(sp =&gt; sp.GetRequiredKeyedService&lt;IChatClient&gt;(HybridInferenceServiceCollectionExtensions.ChatClientKey)).UseLogging()</c>;
    /// resolving the unkeyed <see cref="IChatClient"/> inside such a factory would resolve the factory itself.
    /// </summary>
    public const string ChatClientKey = "HybridInference";

    /// <summary>
    /// Registers the hybrid <see cref="IChatClient"/>, configured from a configuration section (usually
    /// <c>HybridInference</c>; see <see cref="HybridInferenceOptions"/>). The options are validated at start-up, and so
    /// is every value of the section: one that cannot be bound (a wrong type, an undefined enum value, a number that is
    /// not finite) stops start-up under its full key instead of being dropped with its backend, rule or price, and so
    /// does a key nothing reads (a typo), unless <see cref="HybridInferenceOptions.AllowUnknownKeys"/> is set, which makes
    /// it a warning in the log.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The <c>HybridInference</c> configuration section.</param>
    /// <returns>A builder to add backends with.</returns>
    public static HybridInferenceBuilder AddHybridInference(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        // Bound like OptionsBuilder.Bind (reload included), but a value the binder cannot convert is reported with every
        // other bad key by the options validation at start-up, not thrown at the first one or dropped with its entry.
        services.AddOptions<HybridInferenceOptions>().Configure(options => HybridInferenceConfigurationValidator.Bind(configuration, options));
        services.AddSingleton<IOptionsChangeTokenSource<HybridInferenceOptions>>(new ConfigurationChangeTokenSource<HybridInferenceOptions>(Microsoft.Extensions.Options.Options.DefaultName, configuration));
        services.AddSingleton<IValidateOptions<HybridInferenceOptions>>(provider => new HybridInferenceConfigurationValidator(
            configuration,
            provider.GetServices<BoundConfigurationSection>(),
            ChainServices.Logger<HybridInferenceConfigurationValidator>(provider)));
        return AddCore(services);
    }

    /// <summary>Registers the hybrid <see cref="IChatClient"/>, configured in code. The options are validated at start-up.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>A builder to add backends with.</returns>
    public static HybridInferenceBuilder AddHybridInference(this IServiceCollection services, Action<HybridInferenceOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<HybridInferenceOptions>().Configure(configure);
        return AddCore(services);
    }

    private static HybridInferenceBuilder AddCore(IServiceCollection services)
    {
        services.AddOptions<HybridInferenceOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<HybridInferenceOptions>, HybridInferenceOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<HybridInferenceOptions>, HybridInferenceOptionsRulesValidator>());

        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<HybridInferenceMetrics>();
        services.TryAddSingleton<ITokenCounter, HeuristicTokenCounter>();
        services.TryAddSingleton<ITokenCounterProvider, EstimateOnlyTokenCounterProvider>();
        services.TryAddSingleton<IJsonSchemaValidator>(static provider => new JsonSchemaValidator(provider.GetRequiredService<IOptions<HybridInferenceOptions>>().Value.Validation.AssertFormats));
        services.TryAddSingleton<ChainComponents>();
        services.TryAddSingleton<IHybridInferenceStatus, HybridInferenceStatusProvider>();

        // The outbox of cloud refinements: in memory unless a durable store is added (AddSqliteOutbox); its worker sends
        // what waits when the host runs. Nothing runs per request unless a request or a category asks for a refinement.
        services.TryAddSingleton<IOutboxStore, InMemoryOutboxStore>();
        services.TryAddSingleton(static provider => provider.GetRequiredService<IOptions<HybridInferenceOptions>>().Value.Refinement);
        services.TryAddSingleton(static provider => new RefinementCoordinator(
            provider.GetRequiredService<IOutboxStore>(),
            provider.GetRequiredService<RefinementOptions>(),
            provider.GetRequiredService<IOptions<HybridInferenceOptions>>().Value.Observability.RetentionDays,
            ChainServices.Time(provider),
            ChainServices.Logger<RefinementCoordinator>(provider),
            provider.GetRequiredService<IMeterFactory>(),
            provider));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, OutboxWorker>());

        // The hybrid client is always reachable by its key; the unkeyed IChatClient is it unless the app registered
        // one of its own first (an AddChatClient before this call keeps the app's, and the hybrid client stays here).
        var chain = FindChainConfiguration(services);
        if (chain is null)
        {
            chain = new ChainConfiguration();
            services.AddSingleton(chain);
            services.AddKeyedSingleton<IChatClient>(ChatClientKey, (provider, _) => HybridChatClientFactory.Create(provider));
            services.TryAddSingleton<IChatClient>(static provider => provider.GetRequiredKeyedService<IChatClient>(ChatClientKey));
        }

        return new HybridInferenceBuilder(services, chain);
    }

    private static ChainConfiguration? FindChainConfiguration(IServiceCollection services)
    {
        foreach (var descriptor in services)
        {
            if (descriptor.ServiceType == typeof(ChainConfiguration) && !descriptor.IsKeyedService && descriptor.ImplementationInstance is ChainConfiguration chain)
            {
                return chain;
            }
        }

        return null;
    }
}
