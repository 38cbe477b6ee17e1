using HybridInference.Telemetry;

namespace HybridInference.Pools;

/// <summary>
/// Keeps a pool's members in step with its discovered backends: the pool's fixed backends and each discovered
/// backend's members, in configuration order, become the pool's snapshot (<see cref="BackendPoolChatClient.SetMembers"/>)
/// whenever a discovered backend's members change, and the lane's windows, health probes and active-requests gauge
/// follow. Changes are serialised by one lock; requests never take it.
/// </summary>
internal sealed class PoolMembership : IDisposable
{
    private readonly Lock _gate = new();
    private readonly HybridInferenceMetrics _metrics;
    private readonly IReadOnlyList<BackendChatClient>?[] _fixed;
    private readonly DiscoveredBackend?[] _discovered;
    private BackendPoolChatClient? _pool;

    /// <summary>Initializes a new instance of the <see cref="PoolMembership"/> class.</summary>
    /// <param name="slots">Each configured backend, in configuration order: its client, or its discovered backend.</param>
    /// <param name="metrics">The active-requests gauge's list of backends.</param>
    public PoolMembership(IReadOnlyList<(BackendChatClient? Fixed, DiscoveredBackend? Discovered)> slots, HybridInferenceMetrics metrics)
    {
        _metrics = metrics;
        _fixed = new IReadOnlyList<BackendChatClient>?[slots.Count];
        _discovered = new DiscoveredBackend?[slots.Count];
        for (var i = 0; i < slots.Count; i++)
        {
            _fixed[i] = slots[i].Fixed is { } backend ? [backend] : null;
            _discovered[i] = slots[i].Discovered;
        }
    }

    /// <summary>Gets the probes of the members added by the last change, so that tests can wait for them.</summary>
    public Task LastProbes { get; private set; } = Task.CompletedTask;

    /// <summary>Gets the discovered backends, in configuration order.</summary>
    public IEnumerable<DiscoveredBackend> Discovered => _discovered.OfType<DiscoveredBackend>();

    /// <summary>Gets every member now, in configuration order.</summary>
    public List<BackendChatClient> Members()
    {
        var members = new List<BackendChatClient>();
        for (var i = 0; i < _fixed.Length; i++)
        {
            members.AddRange(_fixed[i] ?? _discovered[i]!.Members);
        }

        return members;
    }

    /// <summary>Starts the discovered backends' lookups, once the pool they feed exists.</summary>
    /// <param name="pool">The pool.</param>
    public void Start(BackendPoolChatClient pool)
    {
        _pool = pool;
        pool.Membership = this;
        foreach (var discovered in Discovered)
        {
            discovered.Start(this);
        }
    }

    /// <summary>Publishes a discovered backend's new members: the pool's snapshot, windows, probes and gauge.</summary>
    /// <param name="added">Its members that are new.</param>
    /// <param name="removed">Its members that left (the caller drains and disposes them).</param>
    public void Changed(IReadOnlyCollection<BackendChatClient> added, IReadOnlyCollection<BackendChatClient> removed)
    {
        lock (_gate)
        {
            if (_pool is not { } pool)
            {
                return;
            }

            var members = Members();
            pool.SetMembers(members);
            pool.Windows.SetBackends([.. members.Select(m => m.Info)]);
            _metrics.ForgetBackends(removed);
            _metrics.ObserveBackends(added);
            LastProbes = pool.Monitor?.SetBackends(members) ?? Task.CompletedTask;
        }
    }

    public void Dispose()
    {
        foreach (var discovered in Discovered)
        {
            discovered.Dispose();
        }
    }
}
