using System.Net;
using HybridInference.Internal;
using HybridInference.Telemetry;
using Microsoft.Extensions.Logging;

namespace HybridInference.Pools;

/// <summary>
/// One configured backend whose endpoint names several servers (<see cref="BackendOptions.Discovery"/>): looks the name
/// up every <see cref="BackendOptions.ResolveInterval"/> (and soon after a member is ejected, at most once per
/// <see cref="Defaults.EarlyResolveGap"/>), makes one member per address through the same client factory as a plain
/// backend, and lets members whose address vanished finish their requests before they are disposed. An empty or failed
/// lookup keeps the members (logged).
/// </summary>
/// <remarks>
/// Until the first lookup answers, the one member is the configured endpoint itself, under the configured name (the
/// HTTP stack resolves it per connection, as for a plain backend). Members are named <c>name/address:port</c>. Lookups
/// never overlap; the members list is replaced whole, never changed in place.
/// </remarks>
internal sealed class DiscoveredBackend : IDisposable
{
    private readonly BackendOptions _backend;
    private readonly Func<BackendOptions, BackendChatClient> _createMember;
    private readonly IBackendAddressResolver _resolver;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<BackendChatClient> _draining = [];
    private readonly Lock _gate = new();
    private Dictionary<IPEndPoint, BackendChatClient> _byAddress = [];
    private PoolMembership? _owner;
    private ITimer? _timer;
    private long _lastStarted;
    private int _running;
    private int _disposed;

    /// <summary>Initializes a new instance of the <see cref="DiscoveredBackend"/> class.</summary>
    /// <param name="backend">The configured backend (its <see cref="BackendOptions.Endpoint"/> names the servers).</param>
    /// <param name="createMember">Creates a member's client from the member's settings (its name and endpoint).</param>
    /// <param name="resolver">The lookup.</param>
    /// <param name="timeProvider">The clock of the schedule.</param>
    /// <param name="logger">Where changes and failed lookups are logged.</param>
    public DiscoveredBackend(BackendOptions backend, Func<BackendOptions, BackendChatClient> createMember, IBackendAddressResolver resolver, TimeProvider timeProvider, ILogger logger)
    {
        _backend = backend;
        _createMember = createMember;
        _resolver = resolver;
        _timeProvider = timeProvider;
        _logger = logger;
        HostName = backend.Endpoint!.IdnHost;
        var first = createMember(backend.ForMember(backend.Name, backend.Endpoint));
        first.State.Ejected = ResolveSoon;
        Members = [first];
    }

    /// <summary>Gets the name looked up.</summary>
    public string HostName { get; }

    /// <summary>Gets the members now, in address order.</summary>
    public BackendChatClient[] Members { get; private set; }

    /// <summary>Gets the last lookup, so that tests can wait for it.</summary>
    public Task LastResolution { get; private set; } = Task.CompletedTask;

    /// <summary>Gets the members that left and still have requests in flight.</summary>
    public int Draining
    {
        get
        {
            lock (_gate)
            {
                return _draining.Count;
            }
        }
    }

    /// <summary>Starts the schedule: the first lookup at once, then one every interval.</summary>
    /// <param name="owner">The pool's membership, told of every change.</param>
    public void Start(PoolMembership owner)
    {
        _owner = owner;
        _timer = _timeProvider.CreateTimer(static state => ((DiscoveredBackend)state!).OnTimer(), this, TimeSpan.Zero, _backend.ResolveInterval);
    }

    /// <summary>Looks the name up now and applies the answer (tests; the schedule calls it too).</summary>
    public async Task ResolveAsync()
    {
        DisposeDrained();
        var members = Members;
        IReadOnlyList<IPEndPoint> found;
        try
        {
            using var timeout = new CancellationTokenSource(Defaults.ResolveTimeout, _timeProvider);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _stopping.Token);
            found = await _resolver.ResolveAsync(HostName, _backend.Discovery, _backend.Endpoint!.Port, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex)
        {
            Log.ResolveFailed(_logger, _backend.Name, HostName, _backend.Discovery, Log.Describe(ex), members.Length);
            return;
        }

        var addresses = Order(found);
        if (addresses.Count == 0)
        {
            Log.ResolvedEmpty(_logger, _backend.Name, HostName, _backend.Discovery, members.Length);
            return;
        }

        Apply(addresses);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _timer?.Dispose();
        _stopping.Cancel();
        lock (_gate)
        {
            foreach (var member in _draining)
            {
                member.Dispose();
            }

            _draining.Clear();
        }
    }

    /// <summary>The distinct addresses in address order, at most <see cref="Defaults.MaximumDiscoveredMembers"/>.</summary>
    private List<IPEndPoint> Order(IReadOnlyList<IPEndPoint> found)
    {
        var distinct = new List<IPEndPoint>(found.Count);
        foreach (var endpoint in found)
        {
            if (!distinct.Contains(endpoint))
            {
                distinct.Add(endpoint);
            }
        }

        distinct.Sort(static (a, b) => a.AddressFamily != b.AddressFamily ? a.AddressFamily.CompareTo(b.AddressFamily)
            : a.Address.GetAddressBytes().AsSpan().SequenceCompareTo(b.Address.GetAddressBytes()) is var byAddress and not 0 ? byAddress
            : a.Port.CompareTo(b.Port));
        if (distinct.Count > Defaults.MaximumDiscoveredMembers)
        {
            Log.TooManyMembers(_logger, _backend.Name, HostName, distinct.Count, Defaults.MaximumDiscoveredMembers);
            distinct.RemoveRange(Defaults.MaximumDiscoveredMembers, distinct.Count - Defaults.MaximumDiscoveredMembers);
        }

        return distinct;
    }

    private void Apply(List<IPEndPoint> addresses)
    {
        List<BackendChatClient> added = [];
        List<BackendChatClient> removed = [];
        lock (_gate)
        {
            if (Volatile.Read(ref _disposed) == 1)
            {
                return;
            }

            var next = new Dictionary<IPEndPoint, BackendChatClient>(addresses.Count);
            var members = new BackendChatClient[addresses.Count];
            for (var i = 0; i < addresses.Count; i++)
            {
                var address = addresses[i];
                if (!_byAddress.TryGetValue(address, out var member))
                {
                    member = _createMember(_backend.ForMember($"{_backend.Name}/{address}", MemberEndpoint(_backend.Endpoint!, address)));
                    member.State.Ejected = ResolveSoon;
                    added.Add(member);
                }

                next[address] = member;
                members[i] = member;
            }

            foreach (var member in Members)
            {
                if (Array.IndexOf(members, member) < 0)
                {
                    removed.Add(member);
                    member.State.Ejected = null;
                    _draining.Add(member);
                }
            }

            if (added.Count == 0 && removed.Count == 0)
            {
                return;
            }

            _byAddress = next;
            Members = members;
        }

        Log.MembersChanged(_logger, _backend.Name, _backend.Discovery, HostName, addresses.Count, added.Count, removed.Count);
        _owner?.Changed(added, removed);
    }

    /// <summary>The member's endpoint: the configured one with the host replaced by the address and the port by the address's.</summary>
    internal static Uri MemberEndpoint(Uri endpoint, IPEndPoint address) =>
        new UriBuilder(endpoint) { Host = address.Address.ToString(), Port = address.Port }.Uri;

    /// <summary>Disposes the members that left once their last request finished.</summary>
    private void DisposeDrained()
    {
        lock (_gate)
        {
            for (var i = _draining.Count - 1; i >= 0; i--)
            {
                if (_draining[i].State.InFlight == 0)
                {
                    _draining[i].Dispose();
                    _draining.RemoveAt(i);
                }
            }
        }
    }

    /// <summary>A member was ejected: look the name up again soon (its pod may be gone), at most once per <see cref="Defaults.EarlyResolveGap"/>.</summary>
    private void ResolveSoon()
    {
        if (Volatile.Read(ref _disposed) == 1 || _timer is not { } timer)
        {
            return;
        }

        var last = Interlocked.Read(ref _lastStarted);
        var wait = last == 0 ? TimeSpan.Zero : Defaults.EarlyResolveGap - _timeProvider.GetElapsedTime(last);
        try
        {
            timer.Change(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, _backend.ResolveInterval);
        }
        catch (ObjectDisposedException)
        {
            // Disposed meanwhile: no more lookups.
        }
    }

    private void OnTimer()
    {
        if (Volatile.Read(ref _disposed) == 1 || Interlocked.Exchange(ref _running, 1) == 1)
        {
            return;
        }

        Interlocked.Exchange(ref _lastStarted, _timeProvider.GetTimestamp());
        LastResolution = RunAsync();
    }

    private async Task RunAsync()
    {
        try
        {
            await ResolveAsync().ConfigureAwait(false);
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
    }
}
