using Microsoft.Extensions.AI;

namespace HybridInference;

/// <summary>Reads the <see cref="RefinementHandle"/> the hybrid client attaches to a locally drafted answer it refines.</summary>
public static class RefinementExtensions
{
    /// <summary>The key of the handle in a response's (or the last streaming update's) additional properties.</summary>
    internal const string HandleKey = "HybridInference.Refinement";

    /// <summary>Gets the refinement of the request that produced <paramref name="response"/>.</summary>
    /// <param name="response">A response returned by the hybrid client.</param>
    /// <returns>The handle, or <see langword="null"/> when no refinement was asked for (or the chain has no cloud lane).</returns>
    public static RefinementHandle? GetRefinement(this ChatResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        return response.AdditionalProperties?.TryGetValue(HandleKey, out var value) == true ? value as RefinementHandle : null;
    }

    /// <summary>Gets the refinement from a streaming update; the hybrid client attaches it to the last update of a stream.</summary>
    /// <param name="update">An update returned by the hybrid client.</param>
    /// <returns>The handle, or <see langword="null"/> for every update but the last, and when no refinement was asked for.</returns>
    public static RefinementHandle? GetRefinement(this ChatResponseUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        return update.AdditionalProperties?.TryGetValue(HandleKey, out var value) == true ? value as RefinementHandle : null;
    }
}
