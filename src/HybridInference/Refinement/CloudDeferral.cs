using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace HybridInference.Refinement;

/// <summary>
/// What the caller of deferred work gets at once: no assistant text (nothing was answered yet), only the
/// <see cref="RefinementHandle"/> of the outbox item that the cloud answers later; the cost meter adds the outcome,
/// whose <see cref="RouteOutcome.DecisionReason"/> is <see cref="RouteReason.Deferred"/>.
/// </summary>
internal static class CloudDeferral
{
    /// <summary>An empty response (no messages, no text) carrying the handle.</summary>
    public static ChatResponse Response(RefinementHandle handle)
    {
        var response = new ChatResponse();
        (response.AdditionalProperties ??= [])[RefinementExtensions.DeferralKey] = handle;
        return response;
    }

    /// <summary>A stream of one content-free update carrying the handle (the cost meter's outcome update follows it).</summary>
    public static async IAsyncEnumerable<ChatResponseUpdate> Stream(RefinementHandle handle, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await Task.CompletedTask.ConfigureAwait(false);
        yield return new ChatResponseUpdate
        {
            Role = ChatRole.Assistant,
            AdditionalProperties = new() { [RefinementExtensions.DeferralKey] = handle },
        };
    }
}
