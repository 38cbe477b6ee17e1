using System.Text.Json;
using HybridInference.Internal;
using Microsoft.Extensions.AI;

namespace HybridInference.Refinement;

/// <summary>Deferred work: a request marked deferrable that must go to the cloud waits in the outbox when the cloud cannot take it.</summary>
internal sealed partial class RefinementCoordinator
{
    /// <summary>
    /// Tells whether a request is deferred to the outbox when the cloud cannot take it: it asked
    /// (<see cref="HybridChatOptionsExtensions.AsDeferrable"/>), or its category does by default
    /// (<c>Refinement:DeferrableCategories</c>) and it did not refuse; its data may leave the machine; it offers no tools
    /// (a tool loop needs its caller). Read by the router for cloud-bound work only.
    /// </summary>
    public bool IsDeferrable(ChatOptions? options, TaskProfile profile, RequestState state) =>
        profile.DataPolicy == DataPolicy.Any
        && options?.Tools is not { Count: > 0 }
        && state.ToolLoop is null
        && (options.GetDeferrable() ?? ((uint)profile.Category < (uint)_deferrableDefaults.Length && _deferrableDefaults[(int)profile.Category]));

    /// <summary>
    /// Writes deferred work to the outbox (durably when the store is: the call returns once it is written), to be sent
    /// to the cloud when it is reachable, as refinements are: in order, within the budget, with retries, bounded in
    /// size and age. LocalOnly work is never written.
    /// </summary>
    /// <param name="messages">The request's conversation (fitted, if its history was).</param>
    /// <param name="options">The request's options: what the later call needs of them is stored (<see cref="DeferredSettings"/>).</param>
    /// <param name="profile">The request's profile.</param>
    /// <returns>The handle of the waiting item, or <see langword="null"/> when it was not written (LocalOnly, the outbox full or failing: then its ending is told already).</returns>
    public RefinementHandle? Defer(IEnumerable<ChatMessage> messages, ChatOptions options, TaskProfile profile)
    {
        if (profile.DataPolicy != DataPolicy.Any)
        {
            return null; // Never reached (local-only work never goes to the cloud), and never written to the outbox.
        }

        var now = _time.GetUtcNow();
        var item = new OutboxItem(
            0, Guid.NewGuid().ToString("N"), profile.Category, now, string.Empty, 0, JsonSerializer.Serialize<IList<ChatMessage>>([.. messages], MessagesJson), 0, 0, now,
            OutboxKind.Deferred, DeferredSettings.Capture(options));
        var handle = Add(item);
        return handle.Completion.IsCompleted ? null : handle;
    }
}
