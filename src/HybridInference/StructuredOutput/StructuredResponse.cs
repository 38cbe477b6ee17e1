using Microsoft.Extensions.AI;

namespace HybridInference;

/// <summary>A typed answer: the value read from the model's JSON, and the response it came in.</summary>
/// <typeparam name="T">The type of the value.</typeparam>
public sealed class StructuredResponse<T>
{
    /// <summary>Initializes a new instance of the <see cref="StructuredResponse{T}"/> class.</summary>
    /// <param name="result">The value read from the answer.</param>
    /// <param name="response">The response, whose text is the validated JSON.</param>
    public StructuredResponse(T result, ChatResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        Result = result;
        Response = response;
    }

    /// <summary>Gets the value read from the answer.</summary>
    public T Result { get; }

    /// <summary>Gets the response: its text is the validated JSON, with usage, model and (from the hybrid chain) the <see cref="RouteOutcome"/>.</summary>
    public ChatResponse Response { get; }
}
