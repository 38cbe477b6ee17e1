using System.Net.Sockets;

namespace HybridInference.OpenAI.Tests;

/// <summary>The one retry the client makes: only for a connection found dead before any answer.</summary>
public sealed class StaleConnectionRetryPolicyTests : ServerTestBase
{
    /// <summary>Fails the first call as the transport would, then passes calls on to the real server.</summary>
    private sealed class FailFirstHandler(SocketError error, int failures = 1) : DelegatingHandler(new SocketsHttpHandler())
    {
        public int Calls { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (++Calls <= failures)
            {
                throw new HttpRequestException("An error occurred while sending the request.", new IOException("transport", new SocketException((int)error)));
            }

            return base.SendAsync(request, cancellationToken);
        }
    }

    private OpenAICompatibleChatClient ClientOver(HttpMessageHandler handler) =>
        new(new OpenAICompatibleChatClientOptions { Provider = "llamacpp", Endpoint = Server.V1 }, new HttpClient(handler));

    [Theory]
    [InlineData(SocketError.ConnectionReset)]
    [InlineData(SocketError.ConnectionAborted)]
    public async Task DeadPooledConnection_IsRetriedOnce(SocketError error)
    {
        Server.Enqueue(Respond.File(Fixture.Path("llamacpp", "chat-completion.json")));
        var handler = new FailFirstHandler(error);

        var response = await ClientOver(handler).GetResponseAsync(Hello);

        Assert.Equal("Hello! How can I help you today?", response.Text);
        Assert.Equal(2, handler.Calls);
    }

    [Fact]
    public async Task DeadConnectionAgain_IsNotRetriedASecondTime()
    {
        var handler = new FailFirstHandler(SocketError.ConnectionReset, failures: 5);

        var error = await Assert.ThrowsAsync<BackendException>(() => ClientOver(handler).GetResponseAsync(Hello));

        Assert.Equal(BackendErrorKind.Unavailable, error.Kind);
        Assert.Equal(2, handler.Calls);
    }

    [Fact]
    public async Task RefusedConnection_IsNotRetried()
    {
        var handler = new FailFirstHandler(SocketError.ConnectionRefused);

        var error = await Assert.ThrowsAsync<BackendException>(() => ClientOver(handler).GetResponseAsync(Hello));

        Assert.Equal(BackendErrorKind.Unavailable, error.Kind);
        Assert.Equal(1, handler.Calls);
        Assert.Empty(Server.Requests);
    }

    [Fact]
    public async Task HttpErrors_AreNotRetried()
    {
        Server.Enqueue(Respond.File(Fixture.Path("ollama", "error-server-busy.503.json")));

        await Assert.ThrowsAsync<BackendException>(() => Client("ollama").GetResponseAsync(Hello));

        Assert.Single(Server.Requests);
    }
}
