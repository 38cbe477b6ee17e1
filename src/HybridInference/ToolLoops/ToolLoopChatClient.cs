using System.Runtime.CompilerServices;
using HybridInference.Internal;
using HybridInference.Telemetry;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace HybridInference.ToolLoops;

/// <summary>
/// Keeps a function-invocation loop on its lane: a request whose messages end with the results of tool calls that an
/// earlier turn through this chain made is marked, in its typed state, with the lane and backend that made them
/// (<see cref="RequestState.ToolLoop"/>), which the router and the pool then keep; and the tool calls of every answer
/// are remembered with the backend that made them (<see cref="ToolCallRegistry"/>). When the loop's backend or lane
/// fails and another answers, the loop moves there as a whole: its next calls are remembered with the new backend,
/// and the outcome names the backend it moved from.
/// </summary>
/// <remarks>
/// Sits between the task classifier and the router. A request that offers no tools and continues no loop costs a
/// null check, a count check and one field read (nothing is allocated, no lock taken); the registry is only locked by
/// turns of tool loops. The routing decision itself stays in the router, as a pure function of the request's state.
/// </remarks>
internal sealed class ToolLoopChatClient : DelegatingChatClient
{
    private readonly ToolCallRegistry _calls;
    private readonly HybridInferenceMetrics _metrics;
    private readonly ILogger _logger;

    /// <summary>Initializes a new instance of the <see cref="ToolLoopChatClient"/> class.</summary>
    /// <param name="innerClient">The router (or history fitting in front of it).</param>
    /// <param name="calls">Where the tool calls are remembered.</param>
    /// <param name="metrics">Where moves of loops are counted.</param>
    /// <param name="logger">The logger for moves of loops.</param>
    public ToolLoopChatClient(IChatClient innerClient, ToolCallRegistry calls, HybridInferenceMetrics metrics, ILogger logger)
        : base(innerClient)
    {
        ArgumentNullException.ThrowIfNull(calls);
        _calls = calls;
        _metrics = metrics;
        _logger = logger;
    }

    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        return IsToolTurn(messages, ref options) is { } state
            ? RecordCallsAsync(messages, options, state, cancellationToken)
            : base.GetResponseAsync(messages, options, cancellationToken);
    }

    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        return IsToolTurn(messages, ref options) is { } state
            ? RecordCallsAsync(base.GetStreamingResponseAsync(messages, options, cancellationToken), state, cancellationToken)
            : base.GetStreamingResponseAsync(messages, options, cancellationToken);
    }

    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType == typeof(ToolCallRegistry) ? _calls : base.GetService(serviceType, serviceKey);
    }

    /// <summary>
    /// Whether the request is a turn of a tool loop (it offers tools, or sends back results of calls this chain made);
    /// if so, its state, with the loop it continues written to it. <see langword="null"/> for every other request.
    /// </summary>
    private RequestState? IsToolTurn(IEnumerable<ChatMessage> messages, ref ChatOptions? options)
    {
        var loop = _calls.IsEmpty ? null : FindLoop(messages);
        if (loop is null && options?.Tools is not { Count: > 0 })
        {
            return null;
        }

        var state = RequestState.GetOrAttach(ref options);
        state.ToolLoop = loop;
        return state;
    }

    /// <summary>Finds the loop the request continues: the remembered lane of a tool result at the end of its messages.</summary>
    private ToolLoopLane? FindLoop(IEnumerable<ChatMessage> messages)
    {
        if (messages is IList<ChatMessage> list)
        {
            // The trailing run of messages that carry tool results (one message per result, or several in one).
            for (var i = list.Count - 1; i >= 0; i--)
            {
                if (!FindInResults(list[i], out var lane))
                {
                    return null;
                }

                if (lane is not null)
                {
                    return lane;
                }
            }

            return null;
        }

        ChatMessage? last = null;
        foreach (var message in messages)
        {
            last = message;
        }

        return last is not null && FindInResults(last, out var found) ? found : null;
    }

    /// <summary>Looks up the tool results of one message; false when it carries none.</summary>
    private bool FindInResults(ChatMessage message, out ToolLoopLane? lane)
    {
        lane = null;
        var results = false;
        var contents = message.Contents;
        for (var i = 0; i < contents.Count; i++)
        {
            if (contents[i] is FunctionResultContent result)
            {
                results = true;
                if (result.CallId is { Length: > 0 } id && _calls.Find(id) is { } found)
                {
                    lane = found;
                    return true;
                }
            }
        }

        return results;
    }

    private async Task<ChatResponse> RecordCallsAsync(IEnumerable<ChatMessage> messages, ChatOptions? options, RequestState state, CancellationToken cancellationToken)
    {
        var response = await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        ToolLoopLane? lane = null;
        foreach (var message in response.Messages)
        {
            var contents = message.Contents;
            for (var i = 0; i < contents.Count; i++)
            {
                if (contents[i] is FunctionCallContent { CallId: { Length: > 0 } id })
                {
                    lane ??= LaneAfter(state);
                    if (lane is null)
                    {
                        return response;
                    }

                    _calls.Record(id, lane);
                }
            }
        }

        return response;
    }

    private async IAsyncEnumerable<ChatResponseUpdate> RecordCallsAsync(
        IAsyncEnumerable<ChatResponseUpdate> updates, RequestState state, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        List<string>? calls = null;
        await foreach (var update in updates.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            var contents = update.Contents;
            for (var i = 0; i < contents.Count; i++)
            {
                if (contents[i] is FunctionCallContent { CallId: { Length: > 0 } id })
                {
                    (calls ??= []).Add(id);
                }
            }

            yield return update;
        }

        // The stream is over, so its attempt is recorded: the backend that answered is known.
        if (calls is not null && LaneAfter(state) is { } lane)
        {
            foreach (var id in calls)
            {
                _calls.Record(id, lane);
            }
        }
    }

    /// <summary>Where the loop runs after this turn: on the backend that answered it, moved there if it ran elsewhere before.</summary>
    private ToolLoopLane? LaneAfter(RequestState state)
    {
        if (state.Attempts.Fold(state.Hedge?.Winner).Answered?.Backend is not { } answered)
        {
            return null;
        }

        if (state.ToolLoop is not { } loop)
        {
            return new ToolLoopLane(answered, MovedFrom: null);
        }

        var after = loop.After(answered);
        if (!ReferenceEquals(after, loop))
        {
            Log.ToolLoopMoved(_logger, loop.Backend.Name, loop.Lane, answered.Name, answered.Lane);
            _metrics.RecordToolLoopMove(loop.Lane, answered.Lane);
        }

        return after;
    }
}
