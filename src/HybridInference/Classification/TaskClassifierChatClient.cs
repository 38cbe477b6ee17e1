using HybridInference.Internal;
using Microsoft.Extensions.AI;

namespace HybridInference.Classification;

/// <summary>
/// Classifies each request (category, estimated prompt tokens, JSON required, data policy) and attaches the
/// <see cref="TaskProfile"/> to the request for the router.
/// </summary>
internal sealed class TaskClassifierChatClient : DelegatingChatClient
{
    private readonly TaskClassifier _classifier;

    public TaskClassifierChatClient(IChatClient innerClient, TaskClassifier classifier)
        : base(innerClient)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        _classifier = classifier;
    }

    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        Classify(messages, ref options);
        return base.GetResponseAsync(messages, options, cancellationToken);
    }

    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        Classify(messages, ref options);
        return base.GetStreamingResponseAsync(messages, options, cancellationToken);
    }

    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType == typeof(TaskClassifier) ? _classifier : base.GetService(serviceType, serviceKey);
    }

    private void Classify(IEnumerable<ChatMessage> messages, ref ChatOptions? options)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var request = HybridRequest.GetOrAttach(ref options);
        request.Profile = _classifier.Classify(messages, options);
    }
}
