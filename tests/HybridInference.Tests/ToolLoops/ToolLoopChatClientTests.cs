using HybridInference.Internal;
using HybridInference.Telemetry;
using HybridInference.ToolLoops;
using Microsoft.Extensions.Logging.Abstractions;

namespace HybridInference.Tests.ToolLoops;

/// <summary>The tool-loop client on its own: what a request without tools costs, and what it writes to a request's state.</summary>
public sealed class ToolLoopChatClientTests
{
    private static readonly ToolLoopLane Local = new(new BackendInfo("local", BackendLane.Local, "vllm", "m", 8192), MovedFrom: null);

    [Fact]
    public async Task Request_WithoutTools_AllocatesNothing_EvenWhileLoopsAreRemembered()
    {
        var inner = new CompletedClient();
        var calls = new ToolCallRegistry(TimeSpan.FromMinutes(10), 100, new FakeTimeProvider());
        calls.Record("call_1", Local);
        using var client = new ToolLoopChatClient(inner, calls, new HybridInferenceMetrics(new NoMeters()), NullLogger.Instance);
        List<ChatMessage> messages = [new(ChatRole.User, "Summarize the meeting."), new(ChatRole.Assistant, "Done."), new(ChatRole.User, "Thanks; shorter?")];
        var options = new ChatOptions();
        for (var i = 0; i < 100; i++)
        {
            await client.GetResponseAsync(messages, options);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1_000; i++)
        {
            await client.GetResponseAsync(messages, options);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Null(RequestState.Find(inner.LastOptions)); // nothing attached: the request passed as it came
    }

    [Fact]
    public async Task Request_EndingWithAResultOfARememberedCall_CarriesTheLoopsLane()
    {
        var inner = new CompletedClient();
        var calls = new ToolCallRegistry(TimeSpan.FromMinutes(10), 100, new FakeTimeProvider());
        calls.Record("call_2", Local);
        using var client = new ToolLoopChatClient(inner, calls, new HybridInferenceMetrics(new NoMeters()), NullLogger.Instance);
        ChatMessage[] messages =
        [
            new(ChatRole.User, "Look the parts up."),
            new(ChatRole.Assistant, [new FunctionCallContent("call_1", "lookup"), new FunctionCallContent("call_2", "lookup")]),
            new(ChatRole.Tool, [new FunctionResultContent("call_1", "part 1")]),
            new(ChatRole.Tool, [new FunctionResultContent("call_2", "part 2")]),
        ];

        await client.GetResponseAsync(messages.AsEnumerable().Where(_ => true)); // not a list: only the last message is read
        var fromEnumerable = RequestState.Find(inner.LastOptions)?.ToolLoop;
        await client.GetResponseAsync([.. messages[..3]]); // call_1 is unknown, and the run of results ends at the assistant's calls
        var unknown = RequestState.Find(inner.LastOptions)?.ToolLoop;
        await client.GetResponseAsync([.. messages[..3], messages[3]]);
        var known = RequestState.Find(inner.LastOptions)?.ToolLoop;

        Assert.Same(Local, fromEnumerable);
        Assert.Null(unknown);
        Assert.Same(Local, known);
    }

    /// <summary>Answers every call with the same completed task, and keeps the options it was given.</summary>
    private sealed class CompletedClient : IChatClient
    {
        private readonly Task<ChatResponse> _answer = Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok")));

        public ChatOptions? LastOptions { get; private set; }

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            LastOptions = options;
            return _answer;
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }

    private sealed class NoMeters : System.Diagnostics.Metrics.IMeterFactory
    {
        public System.Diagnostics.Metrics.Meter Create(System.Diagnostics.Metrics.MeterOptions options) => new(options);

        public void Dispose()
        {
        }
    }
}
