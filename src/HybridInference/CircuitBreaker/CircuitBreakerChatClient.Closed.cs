using Microsoft.Extensions.AI;
using Polly;
using Polly.CircuitBreaker;

namespace HybridInference.CircuitBreaker;

/// <summary>The breaker's calls while the circuit is closed: straight to the lane, the outcome recorded when it ends.</summary>
internal sealed partial class CircuitBreakerChatClient
{
    /// <summary>When a success was last handed to the lane's own breaker, on the lane's clock; 0 when none was since it closed.</summary>
    private long _successHandedAtTicks;

    /// <summary>
    /// A call while the circuit is closed: Polly lets every call through then, so the call goes straight to the lane
    /// and its outcome is handed to the breaker when it ends, in one synchronous execution (the same bookkeeping Polly
    /// does around a call, without its async layer). An open or half-open circuit takes Polly's full path, which refuses
    /// calls and lets the one trial through.
    /// </summary>
    private Task<ChatResponse> CallClosed(IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken)
    {
        Task<ChatResponse> answer;
        try
        {
            answer = InnerClient.GetResponseAsync(messages, options, cancellationToken);
        }
        catch (Exception ex)
        {
            answer = Task.FromException<ChatResponse>(ex);
        }

        if (!answer.IsCompleted)
        {
            return AwaitClosedAsync(answer, cancellationToken);
        }

        var recorded = Record(Completed(answer), cancellationToken);
        return recorded.IsCompletedSuccessfully ? answer : AnswerWhenRecordedAsync(recorded, answer);
    }

    private async Task<ChatResponse> AwaitClosedAsync(Task<ChatResponse> answer, CancellationToken cancellationToken)
    {
        ChatResponse response;
        try
        {
            response = await answer.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            await Record(Outcome.FromException<Task<ChatResponse>?>(ex), cancellationToken).ConfigureAwait(false);
            throw;
        }

        await Record(Outcome.FromResult<Task<ChatResponse>?>(answer), cancellationToken).ConfigureAwait(false);
        return response;
    }

    private static async Task<ChatResponse> AnswerWhenRecordedAsync(ValueTask recorded, Task<ChatResponse> answer)
    {
        await recorded.ConfigureAwait(false);
        return await answer.ConfigureAwait(false);
    }

    /// <summary>
    /// Hands the outcome of a call made while the circuit was closed to the lane's breaker; completes when the breaker
    /// has taken it (at once, but for a state change, whose callbacks Polly may run asynchronously: the caller sees the
    /// answer only after the state it caused). A circuit that has left the closed state since (another call's failure
    /// opened it) is not told: Polly ignores outcomes while open, and a call started before the break must not stand for
    /// the half-open trial.
    /// </summary>
    private ValueTask Record(Outcome<Task<ChatResponse>?> outcome, CancellationToken cancellationToken)
    {
        if (_circuit.State != CircuitState.Closed)
        {
            return default;
        }

        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        var pipeline = _pipeline;
        if (outcome.Exception is null && !HandSuccessToLane())
        {
            // What the lane's breaker would do with it: reset the failures in a row, and count it in the ratio.
            Volatile.Write(ref _failuresInARow, 0);
            pipeline = _ratioPipeline;
        }

        var recorded = pipeline.ExecuteOutcomeAsync(static (_, outcome) => new ValueTask<Outcome<Task<ChatResponse>?>>(outcome), context, outcome);
        if (recorded.IsCompletedSuccessfully)
        {
            ResilienceContextPool.Shared.Return(context);
            return default;
        }

        return ReturnWhenRecordedAsync(recorded, context);
    }

    /// <summary>
    /// Whether a success goes to the lane's own Polly breaker, or only to the failure-ratio breaker. The lane's breaker
    /// counts successes for one thing: its minimum throughput of two calls in its day-long window, which its opening
    /// needs (its failure ratio is 0: what opens it is the predicate). One success a second keeps that as it would be
    /// with all of them, so the others skip its execution: a Polly execution less per call at any traffic.
    /// </summary>
    private bool HandSuccessToLane()
    {
        var now = _clock.GetUtcNow().UtcTicks;
        var handed = Volatile.Read(ref _successHandedAtTicks);
        if (handed != 0 && now - handed < TimeSpan.TicksPerSecond)
        {
            return false;
        }

        Volatile.Write(ref _successHandedAtTicks, now);
        return true;
    }

    private static async ValueTask ReturnWhenRecordedAsync(ValueTask<Outcome<Task<ChatResponse>?>> recorded, ResilienceContext context)
    {
        try
        {
            await recorded.ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }
}
