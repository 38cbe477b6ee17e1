using System.Text.Json;

namespace HybridInference.OpenAI.Tests;

/// <summary>
/// Offline-first over HTTP on 127.0.0.1: the cloud server is stopped (its port refuses connections). A long complex
/// conversation, too long for the local window (8,192 tokens) as it is, is trimmed to it (Local:History) and answered
/// by the local server, which receives the reduced history, plain and streamed. Deferrable safety-critical work, which
/// may not run locally, waits in the outbox and is answered by the cloud once it is started again on the same port.
/// </summary>
/// <remarks>Runs alone (<see cref="CloudOutageCollection"/>): the cloud's port is freed and taken again.</remarks>
[Collection(CloudOutageCollection.Name)]
public sealed class CloudOutageFittingOverHttpTests : IAsyncLifetime
{
    private const string LastQuestion = "So, given all that, plan the migration.";
    private LoopbackServer _local = null!;
    private LoopbackServer _cloud = null!;
    private int _cloudPort;
    private HostedChain _chain = null!;

    public async Task InitializeAsync()
    {
        _local = await LoopbackServer.StartAsync();
        _local.ProbesApart = true;
        _local.Default = context => LoopbackServer.BodyOf(context).Contains("\"stream\":true", StringComparison.Ordinal)
            ? Respond.File(Fixture.Path("vllm", "chat-completion-stream.sse"))(context)
            : Respond.Json(Fixture.Completion("vllm", "local plan"))(context);
        _cloud = await StartCloudAsync(port: 0);
        _cloudPort = _cloud.BaseAddress.Port;
        var json = $$"""
            {
              "HybridInference": {
                "Local": { "History": { "Mode": "Trim" },
                           "Backends": [ { "Name": "vllm", "Provider": "vllm", "Endpoint": "{{_local.V1}}", "Model": "m", "ContextWindow": 8192 } ] },
                "Cloud": { "HealthCheckInterval": "00:00:01",
                           "Backends": [ { "Name": "openai", "Provider": "openai", "Endpoint": "{{_cloud.V1}}", "Model": "gpt-4o", "ApiKey": "sk-test", "AllowInsecureHttp": true, "Timeout": "00:00:05" } ] },
                "Pricing": { "gpt-4o": { "InputPerMillionTokens": 2.5, "OutputPerMillionTokens": 10 } },
                "Refinement": { "Outbox": { "PollInterval": "00:00:00.050", "RetryDelay": "00:00:01", "MaxRetryDelay": "00:00:05" } }
              }
            }
            """;
        _chain = await HostedChain.StartAsync(json);
        await _cloud.DisposeAsync(); // stopped: connections to its port are refused
    }

    public async Task DisposeAsync()
    {
        await _chain.DisposeAsync();
        await _local.DisposeAsync();
        await _cloud.DisposeAsync();
    }

    private static Task<LoopbackServer> StartCloudAsync(int port) => HostedChain.StartCloudAsync(port, "cloud answer");

    private static List<ChatMessage> LongConversation()
    {
        var messages = new List<ChatMessage> { new(ChatRole.System, "You plan database migrations.") };
        for (var turn = 0; turn < 12; turn++)
        {
            messages.Add(new ChatMessage(ChatRole.User, $"Turn {turn}: " + string.Join(", ", Enumerable.Repeat("summarize", 450))));
            messages.Add(new ChatMessage(ChatRole.Assistant, $"Noted turn {turn}."));
        }

        messages.Add(new ChatMessage(ChatRole.User, LastQuestion));
        return messages;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task CloudStopped_LongComplexConversation_TheLocalServerGetsTheTrimmedHistory_AndTheCallerAnAnswer(bool streaming)
    {
        var conversation = LongConversation();
        var options = new ChatOptions().WithTaskCategory(TaskCategory.Complex);

        RouteOutcome outcome;
        string text;
        if (streaming)
        {
            var updates = new List<ChatResponseUpdate>();
            await foreach (var update in _chain.Chat.GetStreamingResponseAsync(conversation, options))
            {
                updates.Add(update);
            }

            (text, outcome) = (string.Concat(updates.Select(u => u.Text)), updates[^1].GetRouteOutcome()!);
        }
        else
        {
            var response = await _chain.Chat.GetResponseAsync(conversation, options);
            (text, outcome) = (response.Text, response.GetRouteOutcome()!);
        }

        Assert.False(string.IsNullOrEmpty(text));
        Assert.Equal((BackendLane.Local, RouteReason.CloudUnavailable), (outcome.Target, outcome.DecisionReason));
        Assert.True(outcome.History is { Fitted: true, TurnsRemoved: > 0 }, "the outcome does not say the history was fitted");

        // What the local server was sent: the system message, fewer turns, the last question.
        var body = _local.Requests.Single(r => r.Path.EndsWith("/chat/completions", StringComparison.Ordinal)).Body;
        var sent = JsonDocument.Parse(body).RootElement.GetProperty("messages").EnumerateArray().ToList();
        Assert.True(sent.Count < conversation.Count, $"the local server was sent {sent.Count} of {conversation.Count} messages");
        Assert.Equal("system", sent[0].GetProperty("role").GetString());
        Assert.Contains(LastQuestion, sent[^1].GetProperty("content").ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CloudStopped_DeferrableSafetyCriticalWork_IsDeferred_ThenAnsweredByTheCloudOnceItIsBack()
    {
        var response = await _chain.Chat.GetResponseAsync("Check the dosage.", new ChatOptions().WithTaskCategory(TaskCategory.SafetyCritical).AsDeferrable());

        Assert.Equal(string.Empty, response.Text);
        Assert.Equal(RouteReason.Deferred, response.GetRouteOutcome()!.DecisionReason);
        var handle = response.GetDeferral()!;
        Assert.DoesNotContain(_local.Requests, r => r.Path.EndsWith("/chat/completions", StringComparison.Ordinal));

        _cloud = await StartCloudAsync(_cloudPort);
        var later = await handle.Completion.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal((RefinementStatus.Delivered, true), (later.Status, later.Deferred));
        Assert.Equal("cloud answer", later.Response!.Text);
        var sent = _cloud.Requests.Single(r => r.Path.EndsWith("/chat/completions", StringComparison.Ordinal));
        Assert.Contains("Check the dosage.", sent.Body, StringComparison.Ordinal);
    }
}
