using System.Text.Json;
using HybridInference.Tests.Chain;
using Microsoft.Extensions.DependencyInjection;
using static HybridInference.Tests.Chain.Requests;

namespace HybridInference.Tests.Fallback;

/// <summary>
/// Routing:RequestTimeout covers CPU work too: validating a huge answer stops at the request's deadline, and the
/// caller gets the TimeoutException, not an answer long after it.
/// </summary>
public sealed class ValidationDeadlineTests
{
    [Theory]
    [InlineData("uniqueItems", false)]
    [InlineData("uniqueItems", true)]
    [InlineData("items", false)]
    public async Task Validation_OfAHugeAnswerPastTheDeadline_EndsWithTheTimeout_NotTheAnswer(string keyword, bool stream)
    {
        var time = new FakeTimeProvider();

        // The answer arrives just after the deadline has passed; only its validation is left to do.
        var local = new LateAnswerClient(time, TimeSpan.FromSeconds(6), "[" + string.Join(',', Enumerable.Range(0, 5000)) + "]");
        var cloud = new FakeChatClient("cloud-model") { TimeProvider = time };
        using var services = Build(time, local, cloud);
        var chat = services.GetRequiredService<IChatClient>();
        var schema = JsonDocument.Parse(keyword == "uniqueItems"
            ? """{"type":"array","uniqueItems":true}"""
            : """{"type":"array","items":{"type":"integer","minimum":0}}""").RootElement;
        var options = new ChatOptions { ResponseFormat = ChatResponseFormat.ForJsonSchema(schema, "numbers") };

        var error = await Assert.ThrowsAsync<TimeoutException>(() => stream
            ? ToListAsync(chat.GetStreamingResponseAsync(User("List the numbers."), options))
            : chat.GetResponseAsync(User("List the numbers."), options));

        Assert.Contains("HybridInference:Routing:RequestTimeout (00:00:05)", error.Message, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromSeconds(6), error.GetRouteOutcome()!.Duration);
        Assert.Empty(cloud.Requests);
        Assert.Equal(1, local.Calls);
    }

    private static ServiceProvider Build(FakeTimeProvider time, IChatClient local, IChatClient cloud)
    {
        var json = HybridHost.DefaultJsonWith("Routing", "\"RequestTimeout\": \"00:00:05\"");
        var configuration = JsonSettings.Parse(json);
        var collection = new ServiceCollection();
        collection.AddSingleton<TimeProvider>(time);
        collection.AddHybridInference(configuration.GetSection("HybridInference"))
            .AddLocalBackend("local", _ => local)
            .AddCloudBackend("cloud", _ => cloud);
        return collection.BuildServiceProvider();
    }

    /// <summary>A backend whose answer takes the clock past the deadline, and which answers all the same (as a server that has already sent it would).</summary>
    private sealed class LateAnswerClient(FakeTimeProvider time, TimeSpan takes, string answer) : IChatClient
    {
        public int Calls { get; private set; }

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            Calls++;
            time.Advance(takes);
            return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, answer)) { FinishReason = ChatFinishReason.Stop });
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException("A JSON request is fetched whole.");

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
