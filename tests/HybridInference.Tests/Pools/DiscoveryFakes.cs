using System.Net;
using HybridInference.Pools;

namespace HybridInference.Tests.Pools;

/// <summary>A resolver the test answers for: the addresses it returns, or the failure it throws; it counts its lookups.</summary>
internal sealed class ScriptedResolver : IBackendAddressResolver
{
    private volatile IPEndPoint[] _addresses = [];
    private int _calls;

    public Exception? Failure { get; set; }

    public int Calls => Volatile.Read(ref _calls);

    public string? LastName { get; private set; }

    public BackendDiscovery LastDiscovery { get; private set; }

    /// <summary>Sets the answer: <c>10.0.0.N</c> for each N, on <paramref name="port"/>.</summary>
    public ScriptedResolver Answer(int port, params int[] lastOctets)
    {
        _addresses = [.. lastOctets.Select(n => new IPEndPoint(IPAddress.Parse($"10.0.0.{n}"), port))];
        return this;
    }

    public Task<IReadOnlyList<IPEndPoint>> ResolveAsync(string name, BackendDiscovery discovery, int port, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        (LastName, LastDiscovery) = (name, discovery);
        return Failure is { } failure ? Task.FromException<IReadOnlyList<IPEndPoint>>(failure) : Task.FromResult<IReadOnlyList<IPEndPoint>>(_addresses);
    }
}

/// <summary>A member's client: answers with its name, can be made to fail or to hold its answer, and records its disposal.</summary>
internal sealed class MemberClient(BackendOptions settings) : IChatClient
{
    public BackendOptions Settings { get; } = settings;

    public bool Failing { get; set; }

    public TaskCompletionSource? Hold { get; set; }

    public int Calls { get; private set; }

    public bool Disposed { get; private set; }

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Disposed, this);
        Calls++;
        if (Hold is { } hold)
        {
            await hold.Task.WaitAsync(cancellationToken);
        }

        return Failing
            ? throw new BackendException(BackendErrorKind.Unavailable, $"{Settings.Name} is down.")
            : new ChatResponse(new ChatMessage(ChatRole.Assistant, Settings.Name));
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public object? GetService(Type serviceType, object? serviceKey = null) => serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose() => Disposed = true;
}

/// <summary>A provider package for the tests: creates a <see cref="MemberClient"/> for every backend of provider <c>engine</c>, and keeps them.</summary>
internal sealed class MemberClientFactory : IBackendClientFactory
{
    private readonly List<MemberClient> _created = [];

    public IReadOnlyList<MemberClient> Created
    {
        get
        {
            lock (_created)
            {
                return [.. _created];
            }
        }
    }

    public MemberClient this[string name] => Created.Last(c => c.Settings.Name == name);

    public bool CanCreate(string provider) => provider == "engine";

    public IEnumerable<string> Validate(BackendOptions backend, BackendLane lane, string key) => [];

    public IChatClient Create(BackendOptions backend, BackendLane lane, IServiceProvider services)
    {
        var client = new MemberClient(backend);
        lock (_created)
        {
            _created.Add(client);
        }

        return client;
    }

    /// <summary>Creates a member client outside DI, for the pool builder.</summary>
    public IChatClient Create(BackendOptions backend) => Create(backend, BackendLane.Local, null!);
}
