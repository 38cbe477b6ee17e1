using Microsoft.Extensions.AI;

namespace HybridInference;

/// <summary>Reads the <see cref="RefinementHandle"/> the hybrid client attaches to a locally drafted answer it refines.</summary>
public static class RefinementExtensions
{
    /// <summary>The key of the handle in a response's (or the last streaming update's) additional properties.</summary>
    internal const string HandleKey = "HybridInference.Refinement";

    /// <summary>The key of a deferred request's handle in its response's (or its stream's update's) additional properties.</summary>
    internal const string DeferralKey = "HybridInference.Deferral";

    /// <summary>Gets the refinement of the request that produced <paramref name="response"/>.</summary>
    /// <param name="response">A response returned by the hybrid client.</param>
    /// <returns>The handle, or <see langword="null"/> when no refinement was asked for (or the chain has no cloud lane).</returns>
    public static RefinementHandle? GetRefinement(this ChatResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        return Read(response.AdditionalProperties, HandleKey);
    }

    /// <summary>Gets the refinement from a streaming update; the hybrid client attaches it to the last update of a stream.</summary>
    /// <param name="update">An update returned by the hybrid client.</param>
    /// <returns>The handle, or <see langword="null"/> for every update but the last, and when no refinement was asked for.</returns>
    public static RefinementHandle? GetRefinement(this ChatResponseUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        return Read(update.AdditionalProperties, HandleKey);
    }

    /// <summary>
    /// Gets the handle of deferred work (<see cref="HybridChatOptionsExtensions.AsDeferrable"/>): the response of a request
    /// the cloud could not take, which waits in the outbox, carries no answer and this handle, whose
    /// <see cref="RefinementHandle.Completion"/> gives the cloud's answer later (<see cref="RefinementOutcome.Response"/>).
    /// </summary>
    /// <param name="response">A response returned by the hybrid client.</param>
    /// <returns>The handle, or <see langword="null"/> when the request was not deferred.</returns>
    public static RefinementHandle? GetDeferral(this ChatResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        return Read(response.AdditionalProperties, DeferralKey);
    }

    /// <summary>Gets the handle of deferred work from a streaming update: a deferred stream yields one content-free update that carries it, then the outcome.</summary>
    /// <param name="update">An update returned by the hybrid client.</param>
    /// <returns>The handle, or <see langword="null"/> for every other update, and when the request was not deferred.</returns>
    public static RefinementHandle? GetDeferral(this ChatResponseUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        return Read(update.AdditionalProperties, DeferralKey);
    }

    private static RefinementHandle? Read(AdditionalPropertiesDictionary? properties, string key) =>
        properties?.TryGetValue(key, out var value) == true ? value as RefinementHandle : null;
}
