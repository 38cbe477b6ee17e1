using Microsoft.Extensions.AI;

namespace HybridInference.Refinement;

/// <summary>
/// The routing of the chain that sends refinements: always the cloud, for <see cref="RouteReason.Refinement"/>, which
/// no lane state moves elsewhere (<see cref="Routing.RouteConstraints"/>); its local lane refuses, so a refinement is
/// never answered locally.
/// </summary>
internal sealed class RefinementRouting : IRoutingPolicy
{
    public static readonly RefinementRouting Instance = new();

    public RouteDecision Decide(TaskProfile profile) => new(RouteTarget.Cloud, RouteReason.Refinement);

    /// <summary>
    /// The local lane of the refinement chain: a refinement that would run here (its data turned out LocalOnly) fails
    /// instead, as the item's own fault (<see cref="ArgumentException"/>), so it ends failed rather than waiting.
    /// </summary>
    public sealed class NoLocalLane : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromException<ChatResponse>(Refused());

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw Refused();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        private static ArgumentException Refused() =>
            new("The refinement's data is LocalOnly: a cloud refinement is never answered locally, nor sent to the cloud.");

        public void Dispose()
        {
        }
    }
}
