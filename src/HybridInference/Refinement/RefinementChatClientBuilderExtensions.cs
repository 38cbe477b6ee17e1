using HybridInference.Refinement;
using Microsoft.Extensions.AI;

namespace HybridInference;

/// <summary>Adds "local first pass, cloud refinement" to a chain built by hand.</summary>
internal static class RefinementChatClientBuilderExtensions
{
    /// <summary>
    /// Queues a cloud refinement of each local answer that asks for one, before the answer is returned. Goes around the
    /// cost meter (it reads the answer's outcome). Internal: the outbox and its worker come with <c>AddHybridInference</c>.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="coordinator">The outbox's owner.</param>
    /// <returns><paramref name="builder"/>.</returns>
    public static ChatClientBuilder UseRefinement(this ChatClientBuilder builder, RefinementCoordinator coordinator)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(coordinator);
        return builder.Use(inner => new RefinementChatClient(inner, coordinator));
    }
}
