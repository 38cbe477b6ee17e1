using System.Diagnostics.Metrics;
using HybridInference.Redis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace HybridInference;

/// <summary>Adds Redis as the replicas' shared state store to the hybrid client.</summary>
public static class RedisCoordinationServiceCollectionExtensions
{
    /// <summary>
    /// Shares the cloud budget (<c>Cloud:RequestsPerMinute</c>, <c>Cloud:TokensPerMinute</c>) and the lanes' breaker
    /// decisions with the app's other replicas through Redis. Each replica falls back to its own budget and breaker at
    /// once while Redis cannot be reached, and rejoins when it answers again; no request fails because of Redis.
    /// </summary>
    /// <param name="builder">The hybrid client's builder, from <c>AddHybridInference</c>.</param>
    /// <param name="configure">Sets the options; <see cref="RedisCoordinationOptions.Configuration"/> is required.</param>
    /// <returns><paramref name="builder"/>.</returns>
    public static HybridInferenceBuilder AddRedisCoordination(this HybridInferenceBuilder builder, Action<RedisCoordinationOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddOptions<RedisCoordinationOptions>().Configure(configure);
        return Register(builder, RedisDefaults.Section);
    }

    /// <summary>
    /// Shares the cloud budget and the lanes' breaker decisions with the app's other replicas through Redis, configured
    /// by <paramref name="section"/> (usually <c>HybridInference:Redis</c>). Under the <c>HybridInference</c> section,
    /// its keys are declared to the hybrid client's check for keys nothing reads.
    /// </summary>
    /// <param name="builder">The hybrid client's builder, from <c>AddHybridInference</c>.</param>
    /// <param name="section">The configuration section of <see cref="RedisCoordinationOptions"/>.</param>
    /// <returns><paramref name="builder"/>.</returns>
    public static HybridInferenceBuilder AddRedisCoordination(this HybridInferenceBuilder builder, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(section);
        builder.Services.AddOptions<RedisCoordinationOptions>().Bind(section);
        builder.DeclareConfigurationSection(section, typeof(RedisCoordinationOptions));
        return Register(builder, section is IConfigurationSection { Path: { Length: > 0 } path } ? path : RedisDefaults.Section);
    }

    private static HybridInferenceBuilder Register(HybridInferenceBuilder builder, string sectionKey)
    {
        var services = builder.Services;
        services.AddOptions<RedisCoordinationOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RedisCoordinationOptions>, RedisCoordinationOptionsAttributeValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RedisCoordinationOptions>>(new RedisConfigurationValidator(sectionKey)));
        services.TryAddSingleton(provider =>
        {
            var options = provider.GetRequiredService<IOptions<RedisCoordinationOptions>>().Value;
            var logger = Logger(provider);
            var replica = string.IsNullOrEmpty(options.ReplicaId) ? $"{Environment.MachineName}-{Environment.ProcessId}" : options.ReplicaId;
            var connection = new RedisConnection(options, replica, logger, provider.GetService<IMeterFactory>());
            RedisLog.Joined(logger, replica, options.ShareCloudBudget, options.ShareCircuits, connection.Endpoints);
            return connection;
        });
        services.TryAddSingleton<ISharedCloudBudget>(provider =>
            provider.GetRequiredService<IOptions<RedisCoordinationOptions>>().Value.ShareCloudBudget
                ? new RedisCloudBudget(provider.GetRequiredService<RedisConnection>(), provider.GetService<TimeProvider>() ?? TimeProvider.System)
                : NoSharedBudget.Instance);
        services.TryAddSingleton<ISharedCircuitState>(provider =>
            provider.GetRequiredService<IOptions<RedisCoordinationOptions>>().Value.ShareCircuits
                ? new RedisCircuitState(provider.GetRequiredService<RedisConnection>(), Logger(provider), provider.GetService<IMeterFactory>())
                : NoSharedCircuits.Instance);
        return builder;
    }

    private static ILogger Logger(IServiceProvider provider) =>
        provider.GetService<ILoggerFactory>()?.CreateLogger("HybridInference.Redis") ?? NullLogger.Instance;

    /// <summary>The budget when it is not shared: never answers, so the replica's own decides.</summary>
    private sealed class NoSharedBudget : ISharedCloudBudget
    {
        public static readonly NoSharedBudget Instance = new();

        public ValueTask<bool?> TryAcquireAsync(int requestsPerMinute, int? tokensPerMinute, int tokens, CancellationToken cancellationToken) => new((bool?)null);

        public bool? HasRoom(int tokens) => null;
    }

    /// <summary>The breaker state when it is not shared: nothing published, nothing followed.</summary>
    private sealed class NoSharedCircuits : ISharedCircuitState, IDisposable
    {
        public static readonly NoSharedCircuits Instance = new();

        public void PublishOpened(BackendLane lane, TimeSpan breakDuration)
        {
        }

        public void PublishClosed(BackendLane lane)
        {
        }

        public IDisposable Subscribe(BackendLane lane, Action<TimeSpan> opened, Action closed) => this;

        public void Dispose()
        {
        }
    }
}

/// <summary>Checks <see cref="RedisCoordinationOptions"/> against its attributes when the services start.</summary>
[OptionsValidator]
internal sealed partial class RedisCoordinationOptionsAttributeValidator : IValidateOptions<RedisCoordinationOptions>;
