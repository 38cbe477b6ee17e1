using HybridInference.DependencyInjection;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace HybridInference;

/// <summary>
/// Configures the hybrid client registered by <c>AddHybridInference</c>: backends registered by code, and
/// Microsoft.Extensions.AI middleware around the whole chain, inside a lane, or around one backend.
/// </summary>
public sealed class HybridInferenceBuilder
{
    private readonly ChainConfiguration _chain;

    internal HybridInferenceBuilder(IServiceCollection services, ChainConfiguration chain)
    {
        Services = services;
        _chain = chain;
    }

    /// <summary>Gets the services the hybrid client is registered in.</summary>
    public IServiceCollection Services { get; }

    /// <summary>Registers a local backend's client by code; configuration under <c>Local:Backends</c> with the same name adds its model, window and weight.</summary>
    /// <param name="name">The backend's name.</param>
    /// <param name="factory">Creates the client.</param>
    /// <returns>This builder.</returns>
    public HybridInferenceBuilder AddLocalBackend(string name, Func<IServiceProvider, IChatClient> factory) => Add(name, BackendLane.Local, factory);

    /// <summary>Registers a cloud backend's client by code; configuration under <c>Cloud:Backends</c> with the same name adds its model and price.</summary>
    /// <param name="name">The backend's name.</param>
    /// <param name="factory">Creates the client.</param>
    /// <returns>This builder.</returns>
    public HybridInferenceBuilder AddCloudBackend(string name, Func<IServiceProvider, IChatClient> factory) => Add(name, BackendLane.Cloud, factory);

    /// <summary>
    /// Adds Microsoft.Extensions.AI middleware around the whole chain (outside the cost meter), for example
    /// <c>chat =&gt; chat.UseFunctionInvocation().UseOpenTelemetry()</c>. Each call adds inside the ones before it.
    /// </summary>
    /// <param name="configure">Adds middleware to the chain's <see cref="ChatClientBuilder"/>.</param>
    /// <returns>This builder.</returns>
    public HybridInferenceBuilder ConfigureChat(Action<ChatClientBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        _chain.Chat.Add(configure);
        return this;
    }

    /// <summary>
    /// Adds middleware inside a lane, around its pool: it sees every attempt of the lane (retries and escalations
    /// included), after the lane's breaker and JSON validation, for example <c>lane =&gt; lane.UseLogging()</c>.
    /// </summary>
    /// <param name="lane">The lane.</param>
    /// <param name="configure">Adds middleware to the lane's <see cref="ChatClientBuilder"/>.</param>
    /// <returns>This builder.</returns>
    public HybridInferenceBuilder ConfigureLane(BackendLane lane, Action<ChatClientBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        (lane == BackendLane.Local ? _chain.LocalLane : _chain.CloudLane).Add(configure);
        return this;
    }

    /// <summary>
    /// Adds middleware around one backend's client, whether it comes from configuration (by <c>Provider</c>) or was
    /// registered by code; the pool's metering and health tracking are outside it.
    /// </summary>
    /// <param name="name">The backend's name (any case). A name no backend has fails when the hybrid client is built, naming it.</param>
    /// <param name="configure">Adds middleware to the backend's <see cref="ChatClientBuilder"/>.</param>
    /// <returns>This builder.</returns>
    public HybridInferenceBuilder ConfigureBackend(string name, Action<ChatClientBuilder> configure)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(configure);
        if (!_chain.Backends.TryGetValue(name, out var actions))
        {
            _chain.Backends[name] = actions = [];
        }

        actions.Add(configure);
        return this;
    }

    /// <summary>
    /// Declares a section under the <c>HybridInference</c> configuration section that a package binds to options of
    /// its own (the SQLite ledger binds <c>HybridInference:Observability:Ledger</c>), so that start-up's check for
    /// keys nothing reads accepts that section's keys and still reports a typo inside it. A section elsewhere in the
    /// configuration is not checked and needs no declaration.
    /// </summary>
    /// <param name="section">The section, as the package binds it.</param>
    /// <param name="optionsType">The type it is bound to; its public properties are its keys.</param>
    /// <returns>This builder.</returns>
    public HybridInferenceBuilder DeclareConfigurationSection(IConfiguration section, [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] Type optionsType)
    {
        ArgumentNullException.ThrowIfNull(section);
        ArgumentNullException.ThrowIfNull(optionsType);
        if (section is IConfigurationSection { Path: { Length: > 0 } path })
        {
            Services.AddSingleton(new BoundConfigurationSection(path, optionsType));
        }

        return this;
    }

    private HybridInferenceBuilder Add(string name, BackendLane lane, Func<IServiceProvider, IChatClient> factory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(factory);
        Services.AddSingleton(new BackendRegistration(name, lane, factory));
        return this;
    }
}
