using System.ClientModel.Primitives;

namespace HybridInference.OpenAI;

/// <summary>Sends no credentials: local servers without an API key need no Authorization header at all.</summary>
internal sealed class NoAuthenticationPolicy : AuthenticationPolicy
{
    public override void Process(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex) =>
        ProcessNext(message, pipeline, currentIndex);

    public override ValueTask ProcessAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex) =>
        ProcessNextAsync(message, pipeline, currentIndex);
}
