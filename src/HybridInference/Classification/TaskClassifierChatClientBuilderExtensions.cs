using HybridInference.Classification;
using HybridInference.Internal;

namespace HybridInference;

/// <summary>Adds the task classifier to a chain.</summary>
public static class TaskClassifierChatClientBuilderExtensions
{
    /// <summary>Adds the task classifier: it profiles each request (category, tokens, JSON, data policy) for the router.</summary>
    /// <param name="builder">The chain.</param>
    /// <param name="options">The classification rules; the defaults when <see langword="null"/>.</param>
    /// <returns><paramref name="builder"/>.</returns>
    /// <remarks>Prompt tokens are counted by the <see cref="ITokenCounter"/> in the services, or by the built-in estimate.</remarks>
    public static ChatClientChainBuilder UseTaskClassifier(this ChatClientChainBuilder builder, ClassificationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use((inner, services) =>
            new TaskClassifierChatClient(inner, new TaskClassifier(options ?? new ClassificationOptions(), ChainServices.TokenCounter(services))));
    }
}
