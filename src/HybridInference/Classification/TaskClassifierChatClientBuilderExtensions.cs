using Microsoft.Extensions.AI;
using HybridInference.Classification;
using HybridInference.Internal;
using HybridInference.Privacy;

namespace HybridInference;

/// <summary>Adds the task classifier to a chain.</summary>
public static class TaskClassifierChatClientBuilderExtensions
{
    /// <summary>Adds the task classifier: it profiles each request (category, tokens, JSON, data policy) for the router.</summary>
    /// <param name="builder">The spine's pipeline.</param>
    /// <param name="options">The classification rules; the defaults when <see langword="null"/>.</param>
    /// <param name="privacy">
    /// What to do with requests that contain personal data: keep them local, or redact them before they may go to the
    /// cloud (the cloud lane redacts, with <c>UsePiiRedaction</c> at its head), and the sensitive topics that keep a
    /// request local (<see cref="PrivacyOptions.Topics"/>); nothing when <see langword="null"/>. The detector is the <see cref="IPiiDetector"/> in the services, or
    /// <see cref="PiiDetector"/> with the options' custom patterns.
    /// </param>
    /// <param name="configure">
    /// Changes the rules when the pipeline is built, the way <c>UseLogging</c>'s <c>configure</c> does: it runs on
    /// <paramref name="options"/> (or on new defaults) before the classifier is made. Optional.
    /// </param>
    /// <returns><paramref name="builder"/>.</returns>
    /// <remarks>
    /// Prompt tokens are counted by the <see cref="ITokenCounter"/> in the services, or by the built-in estimate. A
    /// sensitive topic of <paramref name="privacy"/> that cannot be used (an unknown built-in name, a set with no keyword
    /// or pattern, a pattern that cannot run) throws <see cref="ArgumentException"/>, naming its key, when the pipeline is built.
    /// </remarks>
    public static ChatClientBuilder UseTaskClassifier(this ChatClientBuilder builder, ClassificationOptions? options = null, PrivacyOptions? privacy = null, Action<ClassificationOptions>? configure = null) =>
        UseTaskClassifier(builder, options, privacy, configure, limits: null);

    /// <summary>Adds the task classifier with the limits requests are routed on (exact counts near them, the output reserve).</summary>
    /// <param name="builder">The spine's pipeline.</param>
    /// <param name="options">The classification rules; the defaults when <see langword="null"/>.</param>
    /// <param name="privacy">What to do with requests that contain personal data.</param>
    /// <param name="configure">Changes the rules when the pipeline is built.</param>
    /// <param name="limits">The limits, exact counters and output reserve; null for the estimate alone.</param>
    /// <returns><paramref name="builder"/>.</returns>
    internal static ChatClientBuilder UseTaskClassifier(this ChatClientBuilder builder, ClassificationOptions? options, PrivacyOptions? privacy, Action<ClassificationOptions>? configure, PromptLimits? limits)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use((inner, services) =>
        {
            var rules = options ?? new ClassificationOptions();
            configure?.Invoke(rules);
            return new TaskClassifierChatClient(
                inner,
                new TaskClassifier(rules, ChainServices.TokenCounter(services), limits),
                privacy?.Action ?? PiiAction.None,
                privacy is { Action: not PiiAction.None } ? services.GetService(typeof(IPiiDetector)) as IPiiDetector ?? new PiiDetector(privacy) : null,
                ChainServices.Logger<TaskClassifierChatClient>(services),
                privacy is null ? null : TopicMatcher.Create(privacy.Topics));
        });
    }
}
