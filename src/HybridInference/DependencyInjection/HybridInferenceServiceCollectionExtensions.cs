using HybridInference;
using HybridInference.DependencyInjection;
using HybridInference.JsonSchema;
using HybridInference.Status;
using HybridInference.Telemetry;
using HybridInference.Tokens;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the hybrid client in a service collection.</summary>
public static class HybridInferenceServiceCollectionExtensions
{
    /// <summary>
    /// Registers the hybrid <see cref="IChatClient"/>, configured from a configuration section (usually
    /// <c>HybridInference</c>; see <see cref="HybridInferenceOptions"/>). The options are validated at start-up, and so
    /// is every value of the section: one that cannot be bound (a wrong type, an undefined enum value, a number that is
    /// not finite) stops start-up under its full key instead of being dropped with its backend, rule or price.
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
        services.AddSingleton<IValidateOptions<HybridInferenceOptions>>(new HybridInferenceConfigurationValidator(configuration));
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
        services.TryAddSingleton<IJsonSchemaValidator>(static provider => new JsonSchemaValidator(provider.GetRequiredService<IOptions<HybridInferenceOptions>>().Value.Validation.AssertFormats));
        services.TryAddSingleton<ChainComponents>();
        services.TryAddSingleton<IHybridInferenceStatus, HybridInferenceStatusProvider>();
        services.TryAddSingleton<IChatClient>(HybridChatClientFactory.Create);
        return new HybridInferenceBuilder(services);
    }
}
