namespace HybridInference.Tests.Pools;

/// <summary>
/// A backend's stream lets go of what the call holds (its slot, its silence bound) as soon as the stream ends or fails,
/// before the caller hears of it and whether or not the caller disposes the enumerator at once: the failover that
/// follows a failure must find the slot free.
/// </summary>
public sealed class BackendStreamEndTests
{
    private readonly FakeTimeProvider _time = new();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task FailedRead_FreesTheSlot_BeforeTheCallerDisposes(bool asynchronous)
    {
        var backend = TestBackends.Create(new BreakingStream(asynchronous), "breaking", _time, maxInFlight: 1);
        var updates = backend.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "x")]).GetAsyncEnumerator();

        Assert.True(await updates.MoveNextAsync());
        Assert.Equal(1, backend.State.InFlight);
        await Assert.ThrowsAsync<IOException>(async () => await updates.MoveNextAsync());

        Assert.Equal(0, backend.State.InFlight);
        Assert.False(await updates.MoveNextAsync());
        await updates.DisposeAsync();
        Assert.Equal(0, backend.State.InFlight);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task EndedStream_FreesTheSlot_WhenItsEndIsRead(bool asynchronous)
    {
        var backend = TestBackends.Create(new BreakingStream(asynchronous, fail: false), "ending", _time, maxInFlight: 1);
        var updates = backend.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "x")]).GetAsyncEnumerator();

        Assert.True(await updates.MoveNextAsync());
        Assert.False(await updates.MoveNextAsync());

        Assert.Equal(0, backend.State.InFlight);
        await updates.DisposeAsync();
        Assert.Equal(0, backend.State.InFlight);
    }

    /// <summary>Streams one token, then fails with an <see cref="IOException"/> (or ends); synchronously or after yielding.</summary>
    private sealed class BreakingStream(bool asynchronous, bool fail = true) : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
            IEnumerable<ChatMessage> messages, ChatOptions? options = null, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            yield return new ChatResponseUpdate(ChatRole.Assistant, "Hi");
            if (asynchronous)
            {
                await Task.Yield();
            }

            if (fail)
            {
                throw new IOException("The connection was reset.");
            }
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
