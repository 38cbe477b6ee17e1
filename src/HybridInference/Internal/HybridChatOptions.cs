using Microsoft.Extensions.AI;

namespace HybridInference.Internal;

/// <summary>
/// The caller's <see cref="ChatOptions"/> copied once at the top of the chain, carrying the request's
/// <see cref="RequestState"/> in a field.
/// </summary>
/// <remarks>
/// <see cref="Clone"/> keeps the state, so it survives middleware that copies options the standard way. Reading it is
/// a type check: no dictionary lookup, and no dictionary at all when the caller passed no options. Middleware that
/// builds new options from scratch drops the state; parts below it then act as if used on their own.
/// </remarks>
internal sealed class HybridChatOptions : ChatOptions
{
    private static readonly ChatOptions Empty = new();

    public HybridChatOptions(ChatOptions? options, RequestState state)
        : base(options ?? Empty)
    {
        State = state;
    }

    /// <summary>Gets the request's state.</summary>
    public RequestState State { get; }

    public override ChatOptions Clone() => new HybridChatOptions(this, State);
}
