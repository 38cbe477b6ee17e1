using Microsoft.Extensions.AI;

namespace HybridInference;

/// <summary>
/// Composes an <see cref="IChatClient"/> from an inner client and a sequence of middleware; the first middleware
/// added is the outermost, so a chain reads top-down in the order a request travels.
/// </summary>
/// <remarks>
/// A small stand-in for <c>ChatClientBuilder</c> of Microsoft.Extensions.AI (not available here), with the same
/// semantics, so that code moves between the two by renaming. The hybrid client registered by
/// <c>AddHybridInference</c> is built with it; use it to assemble a chain by hand:
/// <code>
/// IChatClient chat = new ChatClientChainBuilder(localClient)
///     .UseCostMeter()
///     .UseTaskClassifier()
///     .UseHybridRouter(cloudClient)
///     .UseSchemaValidatingFallback(cloudClient)
///     .UseCircuitBreaker()
///     .Build();
/// </code>
/// </remarks>
public sealed class ChatClientChainBuilder
{
    private readonly Func<IServiceProvider, IChatClient> _innerClientFactory;
    private readonly List<Func<IChatClient, IServiceProvider, IChatClient>> _middleware = [];

    /// <summary>Initializes a new instance of the <see cref="ChatClientChainBuilder"/> class.</summary>
    /// <param name="innerClient">The client at the end of the chain (a backend).</param>
    public ChatClientChainBuilder(IChatClient innerClient)
    {
        ArgumentNullException.ThrowIfNull(innerClient);
        _innerClientFactory = _ => innerClient;
    }

    /// <summary>Initializes a new instance of the <see cref="ChatClientChainBuilder"/> class.</summary>
    /// <param name="innerClientFactory">Creates the client at the end of the chain from the services.</param>
    public ChatClientChainBuilder(Func<IServiceProvider, IChatClient> innerClientFactory)
    {
        ArgumentNullException.ThrowIfNull(innerClientFactory);
        _innerClientFactory = innerClientFactory;
    }

    /// <summary>Adds middleware; it wraps everything added after it.</summary>
    /// <param name="clientFactory">Wraps the next client of the chain.</param>
    /// <returns>This builder.</returns>
    public ChatClientChainBuilder Use(Func<IChatClient, IChatClient> clientFactory)
    {
        ArgumentNullException.ThrowIfNull(clientFactory);
        return Use((inner, _) => clientFactory(inner));
    }

    /// <summary>Adds middleware that needs services; it wraps everything added after it.</summary>
    /// <param name="clientFactory">Wraps the next client of the chain, given the services.</param>
    /// <returns>This builder.</returns>
    public ChatClientChainBuilder Use(Func<IChatClient, IServiceProvider, IChatClient> clientFactory)
    {
        ArgumentNullException.ThrowIfNull(clientFactory);
        _middleware.Add(clientFactory);
        return this;
    }

    /// <summary>Builds the chain.</summary>
    /// <param name="services">The services middleware may use (time, logging, metrics); none when <see langword="null"/>.</param>
    /// <returns>The outermost client.</returns>
    /// <exception cref="InvalidOperationException">A middleware factory returned <see langword="null"/>.</exception>
    public IChatClient Build(IServiceProvider? services = null)
    {
        services ??= EmptyServiceProvider.Instance;
        var client = _innerClientFactory(services)
            ?? throw new InvalidOperationException("The inner client factory returned null.");
        for (var i = _middleware.Count - 1; i >= 0; i--)
        {
            client = _middleware[i](client, services)
                ?? throw new InvalidOperationException($"Middleware number {i + 1} of the chain returned null instead of a client.");
        }

        return client;
    }

    private sealed class EmptyServiceProvider : IServiceProvider
    {
        public static readonly EmptyServiceProvider Instance = new();

        public object? GetService(Type serviceType) => null;
    }
}
