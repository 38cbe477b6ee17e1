using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.AI;

namespace HybridInference.Refinement;

/// <summary>
/// "Local first pass, cloud refinement", around the cost meter: when a request asks for a refinement
/// (<see cref="HybridChatOptionsExtensions.WithRefinement"/>) or its category does by default, the local answer is
/// returned at once and its refinement is queued in the outbox first, its <see cref="RefinementHandle"/> attached to
/// the response (to the last update of a stream, with the outcome).
/// </summary>
/// <remarks>
/// A request that does not ask, in a chain with no category default, passes straight through: a null check of its
/// additional properties (a lookup when it has some), nothing allocated. Turns that ask for tools are not refined.
/// </remarks>
internal sealed class RefinementChatClient(IChatClient inner, RefinementCoordinator coordinator) : DelegatingChatClient(inner)
{
    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var asked = options.GetRefinement();
        return asked == false || (asked is null && !coordinator.HasCategoryDefaults)
            ? base.GetResponseAsync(messages, options, cancellationToken)
            : RefineAsync(messages as IReadOnlyList<ChatMessage> ?? [.. messages], options, asked == true, cancellationToken);
    }

    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var asked = options.GetRefinement();
        return asked == false || (asked is null && !coordinator.HasCategoryDefaults)
            ? base.GetStreamingResponseAsync(messages, options, cancellationToken)
            : RefineStreamAsync(messages as IReadOnlyList<ChatMessage> ?? [.. messages], options, asked == true, cancellationToken);
    }

    private async Task<ChatResponse> RefineAsync(IReadOnlyList<ChatMessage> messages, ChatOptions? options, bool asked, CancellationToken cancellationToken)
    {
        var response = await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        if (response.GetRouteOutcome() is { DecisionReason: not RouteReason.Deferred } outcome && (asked || coordinator.IsDefault(outcome.Category)) && !AsksForTools(response.Messages))
        {
            (response.AdditionalProperties ??= [])[RefinementExtensions.HandleKey] = coordinator.Queue(messages, response.Text, outcome);
        }

        return response;
    }

    private async IAsyncEnumerable<ChatResponseUpdate> RefineStreamAsync(
        IReadOnlyList<ChatMessage> messages, ChatOptions? options, bool asked, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        var toolCall = false;
        await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
        {
            text.Append(update.Text);
            toolCall |= update.Contents.Any(static c => c is FunctionCallContent);
            if (update.GetRouteOutcome() is { DecisionReason: not RouteReason.Deferred } outcome && (asked || coordinator.IsDefault(outcome.Category)) && !toolCall)
            {
                // Queued before the last update reaches the caller: the refinement is in the outbox when the stream ends.
                (update.AdditionalProperties ??= [])[RefinementExtensions.HandleKey] = coordinator.Queue(messages, text.ToString(), outcome);
            }

            yield return update;
        }
    }

    private static bool AsksForTools(IList<ChatMessage> messages)
    {
        foreach (var message in messages)
        {
            foreach (var content in message.Contents)
            {
                if (content is FunctionCallContent)
                {
                    return true;
                }
            }
        }

        return false;
    }
}
