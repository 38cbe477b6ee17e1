using System.ClientModel.Primitives;
using System.Runtime.CompilerServices;

namespace HybridInference.OpenAI;

/// <summary>
/// Notes, for the call under way, that the server answered with a success status, so that a failure after it (a body
/// the SDK cannot read) is told apart from an error in the request, which Microsoft.Extensions.AI.OpenAI throws before
/// anything is sent and which must not be blamed on the backend.
/// </summary>
/// <remarks>
/// The caller starts a call with <see cref="Begin"/>, which puts a fresh mark in an <see cref="AsyncLocal{T}"/> that
/// flows into the SDK's pipeline; the policy sets it when a response with a success status comes back. One small
/// object per call.
/// </remarks>
internal sealed class AnswerSeenPolicy : PipelinePolicy
{
    private static readonly AsyncLocal<StrongBox<bool>?> s_current = new();

    /// <summary>Gets the one instance (the policy holds no state of its own).</summary>
    public static AnswerSeenPolicy Instance { get; } = new();

    /// <summary>Starts a call: the returned mark turns true once the server answered it with a success status.</summary>
    public static StrongBox<bool> Begin()
    {
        var mark = new StrongBox<bool>();
        s_current.Value = mark;
        return mark;
    }

    /// <inheritdoc />
    public override void Process(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
    {
        ProcessNext(message, pipeline, currentIndex);
        Note(message);
    }

    /// <inheritdoc />
    public override async ValueTask ProcessAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
    {
        await ProcessNextAsync(message, pipeline, currentIndex).ConfigureAwait(false);
        Note(message);
    }

    private static void Note(PipelineMessage message)
    {
        if (message.Response is { IsError: false } && s_current.Value is { } mark)
        {
            mark.Value = true;
        }
    }
}
