using Microsoft.Extensions.AI;

namespace HybridInference.Internal;

/// <summary>A check that a local answer must pass to count as a success.</summary>
internal interface IResponseCheck
{
    /// <summary>Checks <paramref name="response"/>; implementations cache the result per response.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> (the request's, with its deadline) was cancelled during the check.</exception>
    bool Passes(ChatResponse response, HybridRequest request, CancellationToken cancellationToken);
}
