using HybridInference.Telemetry;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace HybridInference.Tokens;

/// <summary>
/// A local backend's server count (<see cref="IBackendTokenCounter"/>) as the classifier asks it near a limit: bounded
/// by <see cref="Timeout"/> and the request's deadline, and falling back to the estimate (null) on any failure, so that a
/// missing, slow or failing tokenize endpoint never fails a request. A 404 turns the source off for the backend (logged
/// once); other failures are logged at Debug and the next near-limit request asks again. The call does not go through
/// the pool, so the breaker and the backend's health never see it.
/// </summary>
internal sealed class ServerTokenCount
{
    /// <summary>The longest a count may take before the request falls back to the estimate.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(2);

    private readonly IBackendTokenCounter _counter;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private volatile bool _disabled;

    /// <summary>Initializes a new instance of the <see cref="ServerTokenCount"/> class.</summary>
    /// <param name="backend">The backend's name, for the log.</param>
    /// <param name="counter">The backend client's server count.</param>
    /// <param name="timeout">The longest a count may take.</param>
    /// <param name="timeProvider">The clock of the timeout.</param>
    /// <param name="logger">Where failures are logged.</param>
    public ServerTokenCount(string backend, IBackendTokenCounter counter, TimeSpan timeout, TimeProvider timeProvider, ILogger logger)
    {
        Backend = backend;
        _counter = counter;
        Timeout = timeout;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    /// <summary>Gets the backend's name.</summary>
    public string Backend { get; }

    /// <summary>Gets the longest a count may take.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>Gets a value indicating whether the server may be asked (false after it answered 404).</summary>
    public bool Enabled => !_disabled;

    /// <summary>Asks the server for the prompt's tokens.</summary>
    /// <param name="messages">The request's messages.</param>
    /// <param name="options">The request's options.</param>
    /// <param name="cancellationToken">The request's token (its deadline, the caller's cancellation).</param>
    /// <returns>The server's count; null when it could not be had (the estimate stands).</returns>
    /// <exception cref="OperationCanceledException">The request itself was cancelled or ran out of time.</exception>
    public async ValueTask<int?> TryCountAsync(IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(Timeout, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            return await _counter.CountPromptTokensAsync(messages, options, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            Log.ServerTokenCountFailed(_logger, Backend, $"no answer within {Timeout.TotalSeconds:0.###} s");
            return null;
        }
        catch (BackendException e) when (e.Kind == BackendErrorKind.NotFound)
        {
            if (!_disabled)
            {
                _disabled = true;
                Log.ServerTokenCountUnavailable(_logger, Backend);
            }

            return null;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Any other failure (a server error, a refused connection, an answer it could not read) leaves the estimate
            // for this request: counting is an optimisation of the route, never a reason to fail it.
            Log.ServerTokenCountFailed(_logger, Backend, e is BackendException backend ? $"{backend.Kind} {backend.StatusCode}" : e.GetType().Name);
            return null;
        }
    }
}
