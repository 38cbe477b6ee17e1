using HybridInference.Internal;
using HybridInference.Telemetry;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HybridInference.Classification;

/// <summary>
/// Classifies each request (category, estimated prompt tokens, JSON required, data policy) and attaches the
/// <see cref="TaskProfile"/> to the request for the router.
/// </summary>
internal sealed class TaskClassifierChatClient : DelegatingChatClient
{
    private readonly TaskClassifier _classifier;
    private readonly PiiAction _piiAction;
    private readonly IPiiDetector? _detector;
    private readonly ILogger _logger;

    private volatile bool _disposed;

    public TaskClassifierChatClient(IChatClient innerClient, TaskClassifier classifier, PiiAction piiAction = PiiAction.None, IPiiDetector? detector = null, ILogger? logger = null)
        : base(innerClient)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        _classifier = classifier;
        _piiAction = detector is null ? PiiAction.None : piiAction;
        _detector = detector;
        _logger = logger ?? NullLogger.Instance;
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

    protected override void Dispose(bool disposing)
    {
        _disposed = true;
        base.Dispose(disposing);
    }

    private void Classify(IEnumerable<ChatMessage> messages, ref ChatOptions? options)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(messages);
        var request = HybridRequest.GetOrAttach(ref options);
        var profile = _classifier.Classify(messages, options);
        if (_piiAction != PiiAction.None && profile.DataPolicy != DataPolicy.LocalOnly)
        {
            profile = ApplyPrivacy(messages, profile, request);
        }

        request.Profile = profile;
    }

    /// <summary>
    /// Looks for personal data: found, the request becomes local-only or is marked for redaction on its way to the
    /// cloud. A detector that fails keeps the request local (fail closed).
    /// </summary>
    private TaskProfile ApplyPrivacy(IEnumerable<ChatMessage> messages, TaskProfile profile, HybridRequest request)
    {
        string? kind = null;
        try
        {
            foreach (var message in messages)
            {
                foreach (var content in message.Contents)
                {
                    if (kind is null && content is TextContent { Text.Length: > 0 } text && _detector!.Detect(text.Text) is { Count: > 0 } matches)
                    {
                        kind = matches[0].Kind;
                    }
                }
            }
        }
        catch (Exception ex)
        {
            Log.PiiDetectorFailed(_logger, ex.GetType().Name);
            return profile with { DataPolicy = DataPolicy.LocalOnly };
        }

        if (kind is null)
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
