using HybridInference;
using HybridInference.DependencyInjection;
using HybridInference.Status;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the hybrid client's backends to ASP.NET Core health checks.</summary>
public static class HybridInferenceHealthChecksBuilderExtensions
{
    /// <summary>
    /// Registers one health check per backend of the hybrid client, named <c>hybrid_inference:&lt;backend&gt;</c>:
    /// Healthy while in service, Degraded on probation, Unhealthy when ejected; the data carries requests in flight,
    /// success rate, latency and the last error. The checks read the pools' state; they do not call the servers
    /// (the pools' own probes do that every <see cref="BackendLaneOptions.HealthCheckInterval"/>).
    /// </summary>
    /// <param name="builder">The health checks builder, from <c>services.AddHealthChecks()</c>.</param>
    /// <param name="tags">Tags for every check, to filter them on an endpoint.</param>
    /// <returns><paramref name="builder"/>.</returns>
    public static IHealthChecksBuilder AddHybridInferenceBackends(this IHealthChecksBuilder builder, params string[] tags)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(tags);
        builder.Services.AddSingleton<IConfigureOptions<HealthCheckServiceOptions>>(services => new ConfigureOptions<HealthCheckServiceOptions>(options =>
        {
            foreach (var name in BackendNames(services))
            {
                options.Registrations.Add(new HealthCheckRegistration(
                    $"hybrid_inference:{name}",
                    s => new BackendHealthCheck(s.GetRequiredService<IHybridInferenceStatus>(), name),
                    HealthStatus.Unhealthy,
                    tags));
            }
        }));
        return builder;
    }

    private static IEnumerable<string> BackendNames(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<HybridInferenceOptions>>().Value;
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var backend in options.Local.Backends.Concat(options.Cloud.Backends))
        {
            if (names.Add(backend.Name))
            {
                yield return backend.Name;
            }
        }

        foreach (var registration in services.GetServices<BackendRegistration>())
        {
            if (names.Add(registration.Name))
            {
                yield return registration.Name;
            }
        }
    }
}
