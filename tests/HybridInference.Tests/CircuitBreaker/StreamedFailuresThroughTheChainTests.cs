using HybridInference.Tests.Chain;
using Polly.CircuitBreaker;
using static HybridInference.Tests.Chain.Requests;

namespace HybridInference.Tests.CircuitBreaker;

/// <summary>
/// Streams that fail after their first update, read through the whole chain: the cost meter reads the backend's
/// updates past the breaker (which only forwards them), so the breaker must hear of each failure all the same.
/// </summary>
public sealed class StreamedFailuresThroughTheChainTests
{
    [Fact]
    public async Task StreamsFailingMidway_ThroughTheChain_OpenTheLocalCircuit_ThenStreamsGoToTheCloud()
    {
        using var host = HybridHost.Create();
        host.Cloud!.DefaultReply = _ => "cloud";

        // 20 local streams in the window, 4 of them failing after their first update: 20% > 15%.
        for (var i = 0; i < 16; i++)
        {
            host.Local.ReplyInChunks("o", "k");
        }

        for (var i = 0; i < 4; i++)
        {
            host.Local.ThrowMidStream(new IOException("connection reset"), "partial");
        }

        var interrupted = 0;
        for (var i = 0; i < 20; i++)
        {
            try
            {
                await ToListAsync(host.Chat.GetStreamingResponseAsync(User("Summarize.")));
            }
            catch (StreamInterruptedException)
            {
                interrupted++;
            }
        }

        Assert.Equal(4, interrupted);
        Assert.Equal(CircuitState.Open, host.Chat.GetService<CircuitBreakerStateProvider>()!.CircuitState);

        var localCalls = host.Local.Requests.Count;
        var updates = await ToListAsync(host.Chat.GetStreamingResponseAsync(User("Summarize.")));
        var outcome = updates.Select(u => u.GetRouteOutcome()).Last(o => o is not null)!;
        Assert.Equal((BackendLane.Cloud, RouteReason.CircuitOpen), (outcome.Target, outcome.DecisionReason));
        Assert.Equal(localCalls, host.Local.Requests.Count);
    }

    [Fact]
    public async Task SuccessfulStreams_ThroughTheChain_LeaveTheCircuitClosed()
    {
        using var host = HybridHost.Create();
        for (var i = 0; i < 30; i++)
        {
            host.Local.ReplyInChunks("o", "k");
        }

        for (var i = 0; i < 30; i++)
        {
            var text = string.Concat((await ToListAsync(host.Chat.GetStreamingResponseAsync(User("Summarize.")))).Select(u => u.Text));
            Assert.Equal("ok", text);
        }

        Assert.Equal(CircuitState.Closed, host.Chat.GetService<CircuitBreakerStateProvider>()!.CircuitState);
    }
}
