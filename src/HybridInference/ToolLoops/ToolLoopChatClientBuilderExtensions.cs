using HybridInference.Internal;
using HybridInference.ToolLoops;
using Microsoft.Extensions.AI;

namespace HybridInference;

/// <summary>Adds tool-loop affinity to a chain: the turns of a function-invocation loop keep the lane and backend the loop runs on.</summary>
public static class ToolLoopChatClientBuilderExtensions
{
    /// <summary>
    /// Adds tool-loop affinity between the task classifier and the router: a request whose messages end with the results
    /// of tool calls that an earlier turn through this chain made is routed to the lane that made them, and, while it is
    /// healthy, to the same backend (<see cref="RouteReason.ToolLoop"/>). When that backend or lane fails and another
    /// answers, the rest of the loop moves there together and stays there, and the outcome says so
    /// (<see cref="RouteOutcome.ToolLoopMovedFrom"/>). Data that must stay local never moves to the cloud.
    /// </summary>
    /// <param name="builder">The spine's pipeline: call this after <c>UseTaskClassifier</c> and before <c>UseHybridRouter</c>.</param>
    /// <param name="options">The settings; the defaults (on) when <see langword="null"/>.</param>
    /// <param name="configure">Changes the options when the pipeline is built, the way <c>UseLogging</c>'s <c>configure</c> does. Optional.</param>
    /// <returns><paramref name="builder"/>.</returns>
    /// <remarks>
    /// Tool calls are remembered by their ids, in memory, for <see cref="ToolLoopOptions.CallExpiry"/> and at most
    /// <see cref="ToolLoopOptions.MaxTrackedCalls"/> at once, measured on the <see cref="TimeProvider"/> in the services.
    /// With <see cref="ToolLoopOptions.Enabled"/> off, nothing is added. Works with Microsoft.Extensions.AI's
    /// <c>FunctionInvokingChatClient</c> around the hybrid client and with callers that send the calls and results back themselves.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">The options' expiry is not positive or their bound is below 1.</exception>
    public static ChatClientBuilder UseToolLoopAffinity(this ChatClientBuilder builder, ToolLoopOptions? options = null, Action<ToolLoopOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use((inner, services) =>
        {
            var loops = options ?? new ToolLoopOptions();
            configure?.Invoke(loops);
            if (!loops.Enabled)
            {
                return inner;
            }

            var calls = new ToolCallRegistry(loops.CallExpiry, loops.MaxTrackedCalls, ChainServices.Time(services));
            return new ToolLoopChatClient(inner, calls, ChainServices.Metrics(services), ChainServices.Logger<ToolLoopChatClient>(services));
        });
    }
}
