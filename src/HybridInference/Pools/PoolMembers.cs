namespace HybridInference.Pools;

/// <summary>
/// A pool's members at one moment, with what orders them: the selector over all of them and, with a choice of models,
/// one per model. Immutable: a request reads the pool's current snapshot once (one volatile read, no lock) and works
/// on it to the end; a membership change builds a new one and swaps it in whole.
/// </summary>
internal sealed class PoolMembers
{
    /// <summary>Initializes a new instance of the <see cref="PoolMembers"/> class.</summary>
    /// <param name="backends">The members in configuration order.</param>
    /// <param name="strategy">How the selectors choose.</param>
    /// <param name="random">The selectors' random source, if one is given (tests).</param>
    /// <param name="models">The local lane's models formed from these members, if the lane has a catalog.</param>
    public PoolMembers(BackendChatClient[] backends, LoadBalancingStrategy strategy, Random? random, LocalModelCatalog? models)
    {
        Backends = backends;
        Models = models;
        Selector = new BackendSelector(backends, strategy, random);
        if (models is { Models.Length: > 1 })
        {
            // Pools per model: failover among the backends of one model first, each model balanced on its own.
            ModelSelectors = new BackendSelector[models.Models.Length];
            for (var m = 0; m < ModelSelectors.Length; m++)
            {
                var members = models.Models[m].Backends;
                var clients = new BackendChatClient[members.Length];
                for (var j = 0; j < members.Length; j++)
                {
                    clients[j] = backends[members[j]];
                }

                ModelSelectors[m] = new BackendSelector(clients, strategy, random);
            }
        }
    }

    /// <summary>Gets the members, in configuration order.</summary>
    public BackendChatClient[] Backends { get; }

    /// <summary>Gets the selector over every member.</summary>
    public BackendSelector Selector { get; }

    /// <summary>Gets one selector per model (indexed as <see cref="LocalModelCatalog.Models"/>), when the lane has more than one model.</summary>
    public BackendSelector[]? ModelSelectors { get; }

    /// <summary>Gets the local lane's models formed from these members, if any.</summary>
    public LocalModelCatalog? Models { get; }
}
