using Microsoft.Extensions.AI;

namespace HybridInference;

/// <summary>
/// Creates backend clients for the backends configuration declares by <see cref="BackendOptions.Provider"/>.
/// Provider packages (HybridInference.OpenAI, ...) register one; a backend added by code with
/// <c>AddLocalBackend</c>/<c>AddCloudBackend</c> does not need one.
/// </summary>
public interface IBackendClientFactory
{
    /// <summary>Tells whether this factory creates clients for <paramref name="provider"/>.</summary>
    /// <param name="provider">The configured provider name, for example <c>vllm</c> (compared case-insensitively).</param>
    /// <returns><see langword="true"/> when it does.</returns>
    bool CanCreate(string provider);

    /// <summary>Lists what is wrong with a backend's configuration, so that start-up can report every problem at once.</summary>
    /// <param name="backend">The backend's configuration.</param>
    /// <param name="lane">Whether it is a local or a cloud backend.</param>
    /// <param name="key">The backend's configuration key, for example <c>HybridInference:Cloud:Backends:0</c>, to name in messages.</param>
    /// <returns>The problems, each naming its key; empty when there are none.</returns>
    IEnumerable<string> Validate(BackendOptions backend, BackendLane lane, string key);

    /// <summary>Creates the backend's client; called once, when the hybrid client is built.</summary>
    /// <param name="backend">The backend's configuration, already validated.</param>
    /// <param name="lane">Whether it is a local or a cloud backend.</param>
    /// <param name="services">The application's services.</param>
    /// <returns>The client. The hybrid client owns and disposes it.</returns>
    IChatClient Create(BackendOptions backend, BackendLane lane, IServiceProvider services);
}
