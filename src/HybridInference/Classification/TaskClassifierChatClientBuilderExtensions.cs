using Microsoft.Extensions.AI;
using HybridInference.Classification;
using HybridInference.Internal;
using HybridInference.Pools;
using HybridInference.Privacy;

namespace HybridInference;

/// <summary>Adds the task classifier to a chain.</summary>
public static class TaskClassifierChatClientBuilderExtensions
{
    /// <summary>Adds the task classifier: it profiles each request (category, tokens, JSON, data policy) for the router.</summary>
    /// <param name="builder">The spine's pipeline, built on the local lane.</param>
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
    /// <param name="routing">
    /// The limits requests are routed on, as the chain <c>AddHybridInference</c> builds reads them: a prompt whose
    /// estimate is near <see cref="RoutingOptions.LocalContextLimit"/> (else the largest local window) or the largest
    /// local window is counted exactly by the tokenizer of the local backend it would go to, and a request that sets no
    /// <c>MaxOutputTokens</c> has <see cref="RoutingOptions.DefaultOutputTokens"/> reserved for its answer. The local
    /// pool's backends and windows are read from the pipeline below (the router's local lane) once, when it is built.
    /// When <see langword="null"/> (and <paramref name="tokenCounters"/> too), the estimate alone and no reserve.
    /// </param>
    /// <param name="tokenCounters">
    /// The exact counters per backend (<c>TokenizerCounters.Create(options)</c> in HybridInference.Tokenizers); when
    /// <see langword="null"/> with <paramref name="routing"/> set, the <see cref="ITokenCounterProvider"/> in the
    /// services, if any. Given without <paramref name="routing"/>, the default routing settings apply.
    /// </param>
    /// <returns><paramref name="builder"/>.</returns>
    /// <remarks>
    /// Prompt tokens are counted by the <see cref="ITokenCounter"/> in the services, or by the built-in estimate. A
    /// sensitive topic of <paramref name="privacy"/> that cannot be used (an unknown built-in name, a set with no keyword
    /// or pattern, a pattern that cannot run) throws <see cref="ArgumentException"/>, naming its key, when the pipeline is built.
    /// </remarks>
    public static ChatClientBuilder UseTaskClassifier(
        this ChatClientBuilder builder, ClassificationOptions? options = null, PrivacyOptions? privacy = null, Action<ClassificationOptions>? configure = null,
        RoutingOptions? routing = null, ITokenCounterProvider? tokenCounters = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (routing is null && tokenCounters is null)
        {
            return UseTaskClassifier(builder, options, privacy, configure, limits: null);
        }

        routing ??= new RoutingOptions();
        return builder.Use((inner, services) =>
        {
            // The local pool below the router (its GetService asks the local lane first); a cloud pool found instead is no local window.
            var pool = inner.GetService<BackendPoolChatClient>() is { Lane: BackendLane.Local } local ? local : null;
            var counters = tokenCounters ?? services.GetService(typeof(ITokenCounterProvider)) as ITokenCounterProvider;
            return Create(inner, services, options, privacy, configure, PromptLimits.For(routing, pool, counters, services));
        });
    }

    /// <summary>
    /// Adds the task classifier as <c>AddHybridInference</c> builds it: with the limits requests are routed on, and, when
    /// history fitting is on (<c>Local:History:Mode</c>), without the conversation-length rule.
    /// </summary>
    internal static ChatClientBuilder UseTaskClassifier(
        this ChatClientBuilder builder, ClassificationOptions options, PrivacyOptions privacy, RoutingOptions routing, ITokenCounterProvider? tokenCounters, bool historyFitting)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use((inner, services) =>
        {
            var pool = inner.GetService<BackendPoolChatClient>() is { Lane: BackendLane.Local } local ? local : null;
            var counters = tokenCounters ?? services.GetService(typeof(ITokenCounterProvider)) as ITokenCounterProvider;
            return Create(inner, services, options, privacy, configure: null, PromptLimits.For(routing, pool, counters, services), historyFitting);
        });
    }

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
        return builder.Use((inner, services) => Create(inner, services, options, privacy, configure, limits));
    }

    private static TaskClassifierChatClient Create(
        IChatClient inner, IServiceProvider services, ClassificationOptions? options, PrivacyOptions? privacy, Action<ClassificationOptions>? configure, PromptLimits? limits,
        bool historyFitting = false)
    {
        var rules = options ?? new ClassificationOptions();
        configure?.Invoke(rules);
        return new TaskClassifierChatClient(
            inner,
            new TaskClassifier(rules, ChainServices.TokenCounter(services), limits, historyFitting, inner.GetService<LocalModelCatalog>()),
            privacy?.Action ?? PiiAction.None,
            privacy is { Action: not PiiAction.None } ? services.GetService(typeof(IPiiDetector)) as IPiiDetector ?? new PiiDetector(privacy) : null,
            ChainServices.Logger<TaskClassifierChatClient>(services),
            privacy is null ? null : TopicMatcher.Create(privacy.Topics));
    }
}
