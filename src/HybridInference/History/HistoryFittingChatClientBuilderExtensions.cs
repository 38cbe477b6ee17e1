using HybridInference.Classification;
using HybridInference.History;
using HybridInference.Internal;
using HybridInference.Pools;
using Microsoft.Extensions.AI;

namespace HybridInference;

/// <summary>Adds history fitting to a chain: a conversation too long for the local window is reduced to it before the router decides.</summary>
#pragma warning disable MEAI001 // IChatReducer is experimental in Microsoft.Extensions.AI 10.11; the README says so.
public static class HistoryFittingChatClientBuilderExtensions
{
    /// <summary>
    /// Adds history fitting between the task classifier and the router: a request that would go to the cloud for its size
    /// alone, or a local-only one too long for every local window, is reduced to the local window with room for its
    /// answer (system messages and the latest turns kept; the older turns dropped or summarized by <paramref name="summarizer"/>).
    /// </summary>
    /// <param name="builder">The spine's pipeline: call this after <c>UseTaskClassifier</c> and before <c>UseHybridRouter</c>.</param>
    /// <param name="options">The mode and its settings; the defaults (off) when <see langword="null"/>.</param>
    /// <param name="summarizer">
    /// The local model that writes summaries in <see cref="HistoryMode.Summarize"/> mode: the local pool, so that its
    /// calls never leave the machine and their tokens and cost are recorded. Required for that mode.
    /// </param>
    /// <param name="reducer">
    /// A reducer of your own (any Microsoft.Extensions.AI <see cref="IChatReducer"/>), used instead of the built-in modes
    /// and turning fitting on; its result is trimmed further when it still does not fit, and the built-in trim is used
    /// when it leaves out the last user message. When <see langword="null"/>, the <see cref="IChatReducer"/> in the
    /// services, if any, used while the mode is not <see cref="HistoryMode.Off"/>.
    /// </param>
    /// <param name="routing">The limits the router applies (<c>Routing:LocalContextLimit</c>, <c>Routing:DefaultOutputTokens</c>); the defaults when <see langword="null"/>.</param>
    /// <param name="configure">Changes the options when the pipeline is built, the way <c>UseLogging</c>'s <c>configure</c> does. Optional.</param>
    /// <returns><paramref name="builder"/>.</returns>
    /// <remarks>
    /// The window is the local pool's (read from the pipeline below, the router's local lane), and every candidate is
    /// counted by the exact counter of its local backend (the <see cref="ITokenCounterProvider"/> in the services), else
    /// by the estimate, as the router counts. The routing rules are the <see cref="IRoutingPolicy"/> in the services, or
    /// the default ones. With the mode off and no reducer, nothing is added.
    /// </remarks>
    /// <exception cref="ArgumentException">The mode is <see cref="HistoryMode.Summarize"/> and no <paramref name="summarizer"/> (nor reducer) is given.</exception>
    public static ChatClientBuilder UseHistoryFitting(
        this ChatClientBuilder builder,
        HistoryOptions? options = null,
        IChatClient? summarizer = null,
        IChatReducer? reducer = null,
        RoutingOptions? routing = null,
        Action<HistoryOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use((inner, services) =>
        {
            var history = options ?? new HistoryOptions();
            configure?.Invoke(history);
            var plugged = reducer ?? (history.Mode == HistoryMode.Off ? null : services.GetService(typeof(IChatReducer)) as IChatReducer);
            return history.Mode == HistoryMode.Off && plugged is null
                ? inner
                : Create(inner, services, history, summarizer, plugged, routing ?? new RoutingOptions(), services.GetService(typeof(IRoutingPolicy)) as IRoutingPolicy);
        });
    }

    /// <summary>Adds history fitting with the chain's own routing rules (the DI factory: the router is given the same policy instance).</summary>
    internal static ChatClientBuilder UseHistoryFitting(
        this ChatClientBuilder builder, HistoryOptions options, IChatClient summarizer, IChatReducer? reducer, RoutingOptions routing, IRoutingPolicy policy) =>
        builder.Use((inner, services) => Create(inner, services, options, summarizer, reducer, routing, policy));

    private static HistoryFittingChatClient Create(
        IChatClient inner, IServiceProvider services, HistoryOptions options, IChatClient? summarizer, IChatReducer? reducer, RoutingOptions routing, IRoutingPolicy? policy)
    {
        var pool = inner.GetService<BackendPoolChatClient>() is { Lane: BackendLane.Local } local ? local : null;
        var exact = PromptLimits.TokenizerOfLargestWindow(pool, services.GetService(typeof(ITokenCounterProvider)) as ITokenCounterProvider);
        var fitter = new HistoryFitter(
            options, summarizer, reducer, exact, ChainServices.TokenCounter(services), new SummaryCache(Defaults.SummaryCacheEntries), ChainServices.Logger<HistoryFitter>(services));
        return new HistoryFittingChatClient(
            inner, fitter, policy ?? new DefaultRoutingPolicy(routing.LocalContextLimit, pool?.Windows), routing.LocalContextLimit, pool?.Windows, ChainServices.Metrics(services));
    }
}
#pragma warning restore MEAI001
