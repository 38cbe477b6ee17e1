using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace HybridInference;

/// <summary>
/// A backend client that can say whether its server is ready without spending tokens (a health or models endpoint,
/// never a completion). Pools probe such backends every <see cref="BackendLaneOptions.HealthCheckInterval"/>; the
/// OpenAI-compatible client implements it for every dialect. Found through <c>IChatClient.GetService</c>.
/// </summary>
public interface IBackendHealthProbe
{
    /// <summary>Asks the server whether it is ready.</summary>
    /// <param name="cancellationToken">Cancels the probe.</param>
    /// <returns>
    /// Healthy when the server answered that it is ready; unhealthy with the reason otherwise. The status and health
    /// checks keep only the type, kind and status code of the result's <see cref="HealthCheckResult.Exception"/>
    /// (attach it), never the description, which may quote the server.
    /// </returns>
    Task<HealthCheckResult> CheckHealthAsync(CancellationToken cancellationToken = default);
}
