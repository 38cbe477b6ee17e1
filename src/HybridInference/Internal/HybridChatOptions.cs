using Microsoft.Extensions.AI;

namespace HybridInference.Internal;

/// <summary>
/// The caller's <see cref="ChatOptions"/> copied once at the top of the chain, carrying the request's state in a field.
/// </summary>
/// <remarks>
/// <see cref="Clone"/> keeps the state, so it survives middleware that copies options the standard way (the
/// router's <see cref="RoutingChatClient"/> does). Reading it is a type check: no dictionary lookup, and no
/// dictionary at all when the caller passed no options. Middleware that builds new options from scratch drops
/// the state; parts below it then act as if used on their own.
/// </remarks>
internal sealed class HybridChatOptions : ChatOptions
{
    private static readonly ChatOptions Empty = new();

    public HybridChatOptions(ChatOptions? options, HybridRequest request)
        : base(options ?? Empty)
    {
        Request = request;
    }

    public HybridRequest Request { get; }

    public override ChatOptions Clone() => new HybridChatOptions(this, Request);
}
