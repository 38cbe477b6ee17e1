namespace HybridInference;

/// <summary>
/// A cloud budget shared by every replica of the app: one window of requests and tokens per minute for all of them,
/// kept in a store outside the process (<c>HybridInference.Redis</c> supplies one). Registered in the services, it is
/// consulted by the cloud budget (<see cref="CloudRateLimitChatClientBuilderExtensions.UseCloudBudget"/>) before each
/// cloud request; whenever it cannot answer, the replica's own budget decides alone.
/// </summary>
/// <remarks>
/// The replica's own windows keep counting what it sends while the shared budget answers, so a replica that loses the
/// store goes on from its own recent sends. Implementations must be thread-safe, answer within a few milliseconds
/// (a bounded wait of their own), and never throw for the store's failures: they answer <see langword="null"/> instead.
/// </remarks>
public interface ISharedCloudBudget
{
    /// <summary>Takes one request and <paramref name="tokens"/> tokens from the shared windows, when both have room.</summary>
    /// <param name="requestsPerMinute">The requests the shared window allows a minute (<c>Cloud:RequestsPerMinute</c>).</param>
    /// <param name="tokensPerMinute">The tokens it allows a minute (<c>Cloud:TokensPerMinute</c>); <see langword="null"/> for no token limit.</param>
    /// <param name="tokens">The request's estimated tokens, at least 1 and at most <paramref name="tokensPerMinute"/>.</param>
    /// <param name="cancellationToken">The caller's cancellation.</param>
    /// <returns>
    /// <see langword="true"/> when taken; <see langword="false"/> when the shared windows have no room now;
    /// <see langword="null"/> when the store could not answer in time (the replica's own budget then decides).
    /// </returns>
    ValueTask<bool?> TryAcquireAsync(int requestsPerMinute, int? tokensPerMinute, int tokens, CancellationToken cancellationToken);

    /// <summary>
    /// Tells, from what the store answered last and without asking it, whether a request of about
    /// <paramref name="tokens"/> tokens would find room: the router's input, so it must be cheap and change nothing.
    /// </summary>
    /// <param name="tokens">The request's estimated tokens.</param>
    /// <returns><see langword="false"/> when the shared windows had no room for it in the current window segment; <see langword="null"/> when not known.</returns>
    bool? HasRoom(int tokens);
}
