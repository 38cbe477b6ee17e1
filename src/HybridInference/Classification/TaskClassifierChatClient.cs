using System.Runtime.CompilerServices;
using HybridInference.Internal;
using HybridInference.Privacy;
using HybridInference.Telemetry;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HybridInference.Classification;

/// <summary>
/// Classifies each request (category, estimated prompt tokens, JSON required, data policy) and attaches the
/// <see cref="TaskProfile"/> to the request for the router.
/// </summary>
/// <remarks>
/// The data policy is local-only when the options say so, when a message is marked local-only
/// (<see cref="ChatMessageDataPolicyExtensions"/>), when anything the request sends touches a sensitive topic
/// (<c>Privacy:Topics</c>), or when <c>Privacy:Action</c> is <see cref="PiiAction.LocalOnly"/> and personal data is
/// found in it. The messages of a local-only request, and its
/// answer's, are then marked so, so that later turns stay local as well.
/// </remarks>
internal sealed class TaskClassifierChatClient : DelegatingChatClient
{
    private readonly TaskClassifier _classifier;
    private readonly PiiAction _piiAction;
    private readonly IPiiDetector? _detector;
    private readonly TopicMatcher? _topics;
    private readonly ILogger _logger;

    private volatile bool _disposed;

    public TaskClassifierChatClient(
        IChatClient innerClient, TaskClassifier classifier, PiiAction piiAction = PiiAction.None, IPiiDetector? detector = null, ILogger? logger = null, TopicMatcher? topics = null)
        : base(innerClient)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        _classifier = classifier;
        _piiAction = detector is null ? PiiAction.None : piiAction;
        _detector = detector;
        _topics = topics;
        _logger = logger ?? NullLogger.Instance;
    }

    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var profile = Profile(messages, ref options, cancellationToken, out var request);
        if (!profile.IsCompletedSuccessfully)
        {
            return ClassifyThenSendAsync(profile, messages, options, request, cancellationToken);
        }

        var localOnly = Attach(profile.Result, messages, options, request, cancellationToken);
        var response = base.GetResponseAsync(messages, options, cancellationToken);
        return localOnly ? MarkAnswerAsync(response) : response;
    }

    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);

        // Classified inside the enumeration, so that classification (personal-data detection included) runs under
        // the request's deadline like every other step; the updates then pass straight through.
        return new DeferredStream(token =>
        {
            var profile = Profile(messages, ref options, token, out var request);
            return profile.IsCompletedSuccessfully
                ? new ValueTask<IAsyncEnumerator<ChatResponseUpdate>>(Stream(profile.Result, messages, options, request, token))
                : ClassifyThenStreamAsync(profile, messages, options, request, token);
        }, cancellationToken);
    }

    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType == typeof(TaskClassifier) ? _classifier : base.GetService(serviceType, serviceKey);
    }

    protected override void Dispose(bool disposing)
    {
        _disposed = true;
        base.Dispose(disposing);
    }

    /// <summary>The path of a request whose prompt its local server counts (near a limit): awaits the count, then sends.</summary>
    private async Task<ChatResponse> ClassifyThenSendAsync(ValueTask<TaskProfile> profile, IEnumerable<ChatMessage> messages, ChatOptions options, RequestState request, CancellationToken cancellationToken)
    {
        var localOnly = Attach(await profile.ConfigureAwait(false), messages, options, request, cancellationToken);
        var response = base.GetResponseAsync(messages, options, cancellationToken);
        return await (localOnly ? MarkAnswerAsync(response) : response).ConfigureAwait(false);
    }

    /// <summary>The streaming path of a request whose prompt its local server counts: awaits the count, then starts the stream.</summary>
    private async ValueTask<IAsyncEnumerator<ChatResponseUpdate>> ClassifyThenStreamAsync(
        ValueTask<TaskProfile> profile, IEnumerable<ChatMessage> messages, ChatOptions options, RequestState request, CancellationToken cancellationToken) =>
        Stream(await profile.ConfigureAwait(false), messages, options, request, cancellationToken);

    private IAsyncEnumerator<ChatResponseUpdate> Stream(TaskProfile profile, IEnumerable<ChatMessage> messages, ChatOptions options, RequestState request, CancellationToken cancellationToken)
    {
        var localOnly = Attach(profile, messages, options, request, cancellationToken);
        var updates = base.GetStreamingResponseAsync(messages, options, cancellationToken);
        return (localOnly ? MarkLocalOnly(updates, cancellationToken) : updates).GetAsyncEnumerator(cancellationToken);
    }

    /// <summary>The answer of a local-only request is local-only data too, in later turns: its messages get the mark.</summary>
    private static async Task<ChatResponse> MarkAnswerAsync(Task<ChatResponse> answer)
    {
        var response = await answer.ConfigureAwait(false);
        foreach (var message in response.Messages)
        {
            ChatMessageDataPolicyExtensions.MarkLocalOnly(message);
        }

        return response;
    }

    /// <summary>Marks the updates of a local-only answer as local-only data.</summary>
    private static async IAsyncEnumerable<ChatResponseUpdate> MarkLocalOnly(IAsyncEnumerable<ChatResponseUpdate> updates, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var update in updates.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            ChatMessageDataPolicyExtensions.MarkLocalOnly(update);
            yield return update;
        }
    }

    /// <summary>Attaches the request's state and profiles it (synchronously unless its local server is asked to count it).</summary>
    private ValueTask<TaskProfile> Profile(IEnumerable<ChatMessage> messages, [System.Diagnostics.CodeAnalysis.NotNull] ref ChatOptions? options, CancellationToken cancellationToken, out RequestState request)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(messages);
        request = RequestState.GetOrAttach(ref options);
        return _classifier.ClassifyAsync(messages, options, cancellationToken);
    }

    /// <summary>Attaches the request's profile; marks the messages of a local-only request as local-only data.</summary>
    /// <returns>Whether the request is local-only.</returns>
    private bool Attach(TaskProfile profile, IEnumerable<ChatMessage> messages, ChatOptions options, RequestState request, CancellationToken cancellationToken)
    {
        // LocalOnly follows the data: a message marked local-only (by the caller, or as part of an earlier local-only
        // request or its answer) makes the whole request local-only. One pass; no allocation.
        if (profile.DataPolicy != DataPolicy.LocalOnly && ChatMessageDataPolicyExtensions.AnyLocalOnly(messages))
        {
            profile = profile with { DataPolicy = DataPolicy.LocalOnly };
        }

        if ((_piiAction != PiiAction.None || _topics is not null) && profile.DataPolicy != DataPolicy.LocalOnly)
        {
            profile = ApplyPrivacy(messages, options, profile, request, cancellationToken);
        }

        request.Profile = profile;
        if (profile.DataPolicy != DataPolicy.LocalOnly)
        {
            return false;
        }

        foreach (var message in messages)
        {
            ChatMessageDataPolicyExtensions.MarkLocalOnly(message);
        }

        return true;
    }

    /// <summary>
    /// Looks for sensitive topics and personal data in everything the request would send, in one walk: a topic makes
    /// the request local-only (the profile names it); personal data makes it local-only or marks it for redaction on
    /// its way to the cloud. A detector that fails keeps the request local (fail closed); a deadline that passes ends
    /// the request.
    /// </summary>
    private TaskProfile ApplyPrivacy(IEnumerable<ChatMessage> messages, ChatOptions options, TaskProfile profile, RequestState request, CancellationToken cancellationToken)
    {
        var finder = new SentTextVisitor.Finder(_piiAction == PiiAction.None ? null : _detector, _piiAction == PiiAction.LocalOnly, _topics, cancellationToken);
        try
        {
            SentText.Walk(options, finder);
            SentText.Walk(messages, finder);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            Log.PiiDetectorFailed(_logger, ex.GetType().Name);
            return profile with { DataPolicy = DataPolicy.LocalOnly };
        }

        if (finder.Topic is { } topic)
        {
            Log.SensitiveTopicFound(_logger, topic);
            return profile with { DataPolicy = DataPolicy.LocalOnly, SensitiveTopic = topic };
        }

        if (finder.Kind is not { } kind)
        {
            return profile;
        }

        Log.PersonalDataFound(_logger, kind, _piiAction);
        if (_piiAction == PiiAction.LocalOnly)
        {
            return profile with { DataPolicy = DataPolicy.LocalOnly };
        }

        request.RedactWith = _detector;
        return profile;
    }
}
