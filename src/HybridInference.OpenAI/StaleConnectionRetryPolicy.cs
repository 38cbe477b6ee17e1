using System.ClientModel.Primitives;
using System.Net.Sockets;

namespace HybridInference.OpenAI;

/// <summary>
/// Retries a call once, at once, when the pooled connection it went out on turned out to be dead: reset or closed
/// before any response came back. Nothing else is retried: not a refused connection, not an HTTP error, not a
/// timeout; the hybrid chain decides what happens after those.
/// </summary>
/// <remarks>
/// llama.cpp's llama-server closes the connection after every streamed answer although its headers say
/// keep-alive, so the next request on that connection fails before the server saw it. Repeating a chat completion
/// whose connection died before any answer has no side effect beyond the compute it may cost.
/// </remarks>
internal sealed class StaleConnectionRetryPolicy : ClientRetryPolicy
{
    private const int MaxRetries = 1;

    public StaleConnectionRetryPolicy()
        : base(MaxRetries)
    {
    }

    // Overriding ShouldRetry replaces the base class's count check, so it is made here: at most one retry per call,
    // remembered on the message itself.
    protected override bool ShouldRetry(PipelineMessage message, Exception? exception)
    {
        if (message.Response is not null || !IsDeadConnection(exception) || message.TryGetProperty(typeof(StaleConnectionRetryPolicy), out _))
        {
            return false;
        }

        message.SetProperty(typeof(StaleConnectionRetryPolicy), true);
        return true;
    }

    protected override ValueTask<bool> ShouldRetryAsync(PipelineMessage message, Exception? exception) =>
        new(ShouldRetry(message, exception));

    protected override TimeSpan GetNextDelay(PipelineMessage message, int tryCount) => TimeSpan.Zero;

    private static bool IsDeadConnection(Exception? exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case SocketException { SocketErrorCode: SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown }:
                case HttpRequestException { HttpRequestError: HttpRequestError.ResponseEnded }:
                    return true;
                case SocketException:
                    return false; // Refused, unreachable, ...: the server is down, not the connection stale.
            }
        }

        return false;
    }
}
