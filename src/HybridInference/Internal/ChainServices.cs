using System.Diagnostics.Metrics;
using HybridInference.JsonSchema;
using HybridInference.Telemetry;
using HybridInference.Tokens;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HybridInference.Internal;

/// <summary>Resolves what middleware needs from the services, with working defaults when a service is absent.</summary>
internal static class ChainServices
{
    public static TimeProvider Time(IServiceProvider services) => services.GetService<TimeProvider>() ?? TimeProvider.System;

    public static ILogger Logger<T>(IServiceProvider services) =>
        services.GetService<ILoggerFactory>()?.CreateLogger<T>() ?? NullLogger<T>.Instance;

    public static HybridInferenceMetrics Metrics(IServiceProvider services) =>
        services.GetService<HybridInferenceMetrics>() ?? new HybridInferenceMetrics(services.GetService<IMeterFactory>() ?? StandaloneMeterFactory.Instance);

    public static IJsonSchemaValidator Validator(IServiceProvider services) =>
        services.GetService<IJsonSchemaValidator>() ?? new JsonSchemaValidator();

    public static ITokenCounter TokenCounter(IServiceProvider services) =>
        services.GetService<ITokenCounter>() ?? new HeuristicTokenCounter();

    /// <summary>Gets the listeners to finished requests; none from a provider that knows no enumerables (a minimal one in a test).</summary>
    public static IEnumerable<IRouteOutcomeListener> OutcomeListeners(IServiceProvider services) =>
        services.GetService<IEnumerable<IRouteOutcomeListener>>() ?? [];

    /// <summary>Creates plain meters for chains built without dependency injection.</summary>
    private sealed class StandaloneMeterFactory : IMeterFactory
    {
        public static readonly StandaloneMeterFactory Instance = new();

        public Meter Create(MeterOptions options) => new(options);

        public void Dispose()
        {
        }
    }
}
