using Microsoft.Extensions.DependencyInjection;
using Polly.CircuitBreaker;
using static HybridInference.Tests.Chain.Requests;

namespace HybridInference.Tests.Chain;

/// <summary>
/// Requests that are the caller's mistake, through the whole chain: refused before anything is sent with an
/// <see cref="ArgumentException"/> that names the problem, never counted against a backend or the breaker, never
/// escalated; and a backend's own rejection of a request (400) is not the backend's fault either.
/// </summary>
public sealed class BadInputTests
{
    /// <summary>Options no backend takes, each with the words the error must contain.</summary>
    public static TheoryData<string, string> BadOptions => new()
    {
        { "temperature-nan", "ChatOptions.Temperature is NaN" },
        { "temperature-infinity", "ChatOptions.Temperature is Infinity" },
        { "temperature-negative", "ChatOptions.Temperature is -0.1" },
        { "temperature-too-high", "ChatOptions.Temperature is 2.5" },
        { "top-p-zero", "ChatOptions.TopP is 0" },
        { "top-p-nan", "ChatOptions.TopP is NaN" },
        { "top-p-too-high", "ChatOptions.TopP is 1.5" },
        { "top-k-zero", "ChatOptions.TopK is 0" },
        { "top-k-negative", "ChatOptions.TopK is -3" },
        { "frequency-penalty-nan", "ChatOptions.FrequencyPenalty is NaN" },
        { "frequency-penalty-too-low", "ChatOptions.FrequencyPenalty is -2.5" },
        { "presence-penalty-infinity", "ChatOptions.PresencePenalty is -Infinity" },
        { "presence-penalty-too-high", "ChatOptions.PresencePenalty is 3" },
        { "max-output-zero", "ChatOptions.MaxOutputTokens is 0" },
        { "max-output-negative", "ChatOptions.MaxOutputTokens is -1" },
        { "max-output-min", "ChatOptions.MaxOutputTokens is -2147483648" },
        { "stop-null", "ChatOptions.StopSequences[1] is null" },
        { "stop-empty", "ChatOptions.StopSequences[0] is empty" },
        { "tool-null", "ChatOptions.Tools[0] is null" },
        { "tool-duplicate", "ChatOptions.Tools[1] and ChatOptions.Tools[0] are both named 'lookup'" },
        { "tool-name-space", "ChatOptions.Tools[0] is named 'look up'" },
        { "tool-name-too-long", "is not a valid tool name" },
        { "tool-mode-required-no-tools", "ChatOptions.ToolMode requires a tool call, but ChatOptions.Tools is empty" },
        { "tool-mode-unknown-tool", "ChatOptions.ToolMode requires the tool 'missing'" },
        { "schema-name-invalid", "schema name 'my schema!' is not valid" },
    };

    /// <summary>Messages no backend takes, each with the words the error must contain.</summary>
    public static TheoryData<string, string> BadMessages => new()
    {
        { "custom-role", "Message 1 has the role 'critic', which no backend takes" },
        { "developer-role", "Message 0 has the role 'developer'" },
        { "audio-data", "Message 0 (role user) holds audio/wav data" },
        { "video-data", "Message 0 (role user) holds video/mp4 data" },
        { "octet-stream-data", "Message 0 (role user) holds application/octet-stream data" },
        { "audio-uri", "Message 0 (role user) holds a link to audio/mpeg content" },
        { "unknown-content", "Message 0 (role user) holds MysteryContent content" },
        { "error-content", "Message 0 (role user) holds ErrorContent content" },
        { "null-content", "Message 0 (role user) holds a null content item at position 1" },
        { "null-message", "Message 1 is null" },
        { "arguments-cycle", "Message 1 holds a call of tool 'lookup' whose arguments cannot be serialised to JSON" },
        { "arguments-delegate", "Message 1 holds a call of tool 'lookup' whose arguments cannot be serialised to JSON" },
        { "result-delegate", "Message 2 holds the result of tool call 'call-1', which cannot be serialised to JSON" },
        { "tool-call-from-user", "Message 0 (role user) holds a call of tool 'lookup'; only assistant messages may hold tool calls" },
        { "tool-message-without-result", "Message 2 has the role tool but holds no tool result" },
        { "result-beside-text", "Message 2 (role tool) holds tool results beside other content" },
        { "whitespace-only", "Message 0 (role user) has no content" },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public async Task Chain_BadOption_IsRefusedNamingIt_BeforeAnythingIsSent(string name, string expected)
    {
        using var host = HybridHost.Create();

        var error = await Assert.ThrowsAsync<ArgumentException>(() => host.Chat.GetResponseAsync(User("Say hello"), Options(name)));
        var streamed = await Assert.ThrowsAsync<ArgumentException>(() => ToListAsync(host.Chat.GetStreamingResponseAsync(User("Say hello"), Options(name))));
        var localOnly = await Assert.ThrowsAsync<ArgumentException>(() =>
            host.Chat.GetResponseAsync(User("Say hello"), Options(name).WithDataPolicy(DataPolicy.LocalOnly)));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, streamed.Message, StringComparison.Ordinal);
        Assert.Contains(expected, localOnly.Message, StringComparison.Ordinal);
        Assert.Equal("options", error.ParamName);
        Assert.Empty(host.Local.Requests);
        Assert.Empty(host.Cloud!.Requests);
    }

    [Theory]
    [MemberData(nameof(BadMessages))]
    public async Task Chain_BadMessage_IsRefusedByIndex_BeforeAnythingIsSent(string name, string expected)
    {
        using var host = HybridHost.Create();

        var error = await Assert.ThrowsAsync<ArgumentException>(() => host.Chat.GetResponseAsync(Messages(name)));
        var streamed = await Assert.ThrowsAsync<ArgumentException>(() => ToListAsync(host.Chat.GetStreamingResponseAsync(Messages(name))));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, streamed.Message, StringComparison.Ordinal);
        Assert.Equal("messages", error.ParamName);
        Assert.Empty(host.Local.Requests);
        Assert.Empty(host.Cloud!.Requests);
    }

    [Fact]
    public async Task Chain_ThirtyBadRequests_CountAgainstNothing_AndTheNextGoodOneRunsLocally()
    {
        using var host = HybridHost.Create();
        host.Local.Reply("Hello!");
        string[] kinds = ["temperature-nan", "top-p-zero", "max-output-zero", "tool-duplicate", "stop-null"];
        for (var i = 0; i < 30; i++)
        {
            await Assert.ThrowsAsync<ArgumentException>(() => host.Chat.GetResponseAsync(User("Say hello"), Options(kinds[i % kinds.Length])));
        }

        for (var i = 0; i < 30; i++)
        {
            await Assert.ThrowsAsync<ArgumentException>(() => host.Chat.GetResponseAsync(Messages(i % 2 == 0 ? "audio-data" : "custom-role")));
        }

        var response = await host.Chat.GetResponseAsync(User("Say hello"));

        Assert.Equal(BackendLane.Local, response.GetRouteOutcome()!.Target);
        var status = host.Provider.GetRequiredService<IHybridInferenceStatus>().GetStatus();
        Assert.Equal(CircuitState.Closed, status.LocalCircuit);
        Assert.Equal(0, status.LocalCircuitFailures.Values.Sum());
        Assert.All(status.Backends, b => Assert.Equal(BackendHealth.Healthy, b.Health));
        Assert.Single(host.Local.Requests);
        Assert.Empty(host.Cloud!.Requests);
    }

    [Theory]
    [InlineData("edges")]
    [InlineData("media")]
    [InlineData("tools")]
    public async Task Chain_ValuesAtTheEdgesOfTheirRanges_AndContentSomeBackendTakes_AreSent(string name)
    {
        using var host = HybridHost.Create();
        host.Local.Reply("fine");

        var (messages, options) = name switch
        {
            "edges" => (User("Say hello"), new ChatOptions
            {
                Temperature = 0, TopP = 1, TopK = 1, FrequencyPenalty = -2, PresencePenalty = 2, MaxOutputTokens = 1, Seed = long.MinValue,
                StopSequences = ["a", "b", "c", "d", "e", "f", "g", "h"], // more than OpenAI's 4: local servers take them
            }),
            "media" => ((ChatMessage[])[new ChatMessage(ChatRole.User, [
                new TextContent("What is in these?"),
                new DataContent(new byte[] { 1, 2, 3 }, "image/png"),
                new UriContent(new Uri("https://example.com/cat.jpg"), "image/jpeg"),
                new DataContent(new byte[] { 4, 5 }, "application/pdf"),
            ])], new ChatOptions { Temperature = 2, TopP = 0.01f }),
            _ => (ToolConversation(new Dictionary<string, object?> { ["city"] = "Paris", ["days"] = 3 }, result: new { temperature = 21 }), new ChatOptions
            {
                Tools = [AIFunctionFactory.Create((string city) => city, "lookup"), AIFunctionFactory.Create((int n) => n, "count_2-x")],
                ToolMode = ChatToolMode.RequireSpecific("lookup"),
            }.WithTaskCategory(TaskCategory.Routine)),
        };

        var response = await host.Chat.GetResponseAsync(messages, options);

        Assert.Equal("fine", response.Text);
        Assert.Single(host.Local.Requests);
    }

    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(int.MaxValue - 5)]
    [InlineData(int.MaxValue - 9000)]
    public async Task Chain_MaxOutputTokensNearIntMaxValue_DoesNotOverflowIntoALocalWindow(int maxOutputTokens)
    {
        using var host = HybridHost.Create();
        host.Cloud!.Reply("long answer");

        var localOnly = await Assert.ThrowsAsync<ContextWindowExceededException>(() => host.Chat.GetResponseAsync(
            User("Write a story."), new ChatOptions { MaxOutputTokens = maxOutputTokens }.WithDataPolicy(DataPolicy.LocalOnly)));
        var routable = await host.Chat.GetResponseAsync(User("Write a story."), new ChatOptions { MaxOutputTokens = maxOutputTokens });

        Assert.True(localOnly.RequiredTokens > 8192, $"required {localOnly.RequiredTokens}");
        Assert.Equal((BackendLane.Cloud, RouteReason.ContextLimit), (routable.GetRouteOutcome()!.Target, routable.GetRouteOutcome()!.DecisionReason));
        Assert.Empty(host.Local.Requests);
    }

    [Theory]
    [InlineData(int.MaxValue, int.MaxValue)]
    [InlineData(int.MaxValue, 1)]
    [InlineData(10, int.MaxValue - 3)]
    [InlineData(1_000_000_000, 1_500_000_000)]
    public void TaskProfile_RequiredContextTokens_SaturatesInsteadOfOverflowing(int promptTokens, int maxOutputTokens)
    {
        var profile = new TaskProfile(TaskCategory.Routine, CategorySource.Default, promptTokens, maxOutputTokens, RequiresJson: false, DataPolicy.Any);

        Assert.Equal((int)Math.Min((long)promptTokens + maxOutputTokens, int.MaxValue), profile.RequiredContextTokens);
    }

    [Fact]
    public async Task Chain_BackendRejectsTheRequestAsBad_ThirtyTimes_CountsAgainstNothing_AndIsNotEscalated()
    {
        using var host = HybridHost.Create();
        for (var i = 0; i < 30; i++)
        {
            host.Local.Throw(new BackendException(BackendErrorKind.BadRequest, "Backend 'local' answered 400 (bad request): unsupported value.", statusCode: 400));
        }

        host.Local.Reply("Hello!");
        for (var i = 0; i < 30; i++)
        {
            var error = await Assert.ThrowsAsync<BackendException>(() => i % 2 == 0
                ? host.Chat.GetResponseAsync(User("Say hello"))
                : ToListAsync(host.Chat.GetStreamingResponseAsync(User("Say hello"))));
            Assert.Equal(BackendErrorKind.BadRequest, error.Kind);
            Assert.Equal(EscalationReason.None, error.GetRouteOutcome()!.EscalationReason);
        }

        var response = await host.Chat.GetResponseAsync(User("Say hello"));

        Assert.Equal(BackendLane.Local, response.GetRouteOutcome()!.Target);
        var status = host.Provider.GetRequiredService<IHybridInferenceStatus>().GetStatus();
        Assert.Equal(CircuitState.Closed, status.LocalCircuit);
        Assert.Equal(0, status.LocalCircuitFailures.Values.Sum());
        Assert.Equal(BackendHealth.Healthy, status.Backends.Single(b => b.Name == "local").Health);
        Assert.Empty(host.Cloud!.Requests);
    }

    [Theory]
    [InlineData("argument")]
    [InlineData("not-supported")]
    public async Task Chain_BackendClientRefusesTheRequest_ThirtyTimes_CountsAgainstNeitherHealthNorBreaker(string kind)
    {
        using var host = HybridHost.Create();
        host.Cloud!.DefaultReply = _ => "cloud answer";
        for (var i = 0; i < 30; i++)
        {
            host.Local.Throw(kind == "argument" ? new ArgumentException("The client cannot take this value.") : new NotSupportedException("The wire format cannot carry this."));
        }

        for (var i = 0; i < 30; i++)
        {
            // The client's refusal is no sign of an unwell server; a refusal for what another backend may take escalates.
            try
            {
                await host.Chat.GetResponseAsync(User("Say hello"));
                Assert.Equal("not-supported", kind);
            }
            catch (ArgumentException)
            {
                Assert.Equal("argument", kind);
            }
        }

        var status = host.Provider.GetRequiredService<IHybridInferenceStatus>().GetStatus();
        Assert.Equal(CircuitState.Closed, status.LocalCircuit);
        Assert.Equal(0, status.LocalCircuitFailures.Values.Sum());
        Assert.Equal(BackendHealth.Healthy, status.Backends.Single(b => b.Name == "local").Health);
        Assert.Equal(kind == "argument" ? 0 : 30, host.Cloud.Requests.Count);
    }

    private static ChatOptions Options(string name) => name switch
    {
        "temperature-nan" => new() { Temperature = float.NaN },
        "temperature-infinity" => new() { Temperature = float.PositiveInfinity },
        "temperature-negative" => new() { Temperature = -0.1f },
        "temperature-too-high" => new() { Temperature = 2.5f },
        "top-p-zero" => new() { TopP = 0 },
        "top-p-nan" => new() { TopP = float.NaN },
        "top-p-too-high" => new() { TopP = 1.5f },
        "top-k-zero" => new() { TopK = 0 },
        "top-k-negative" => new() { TopK = -3 },
        "frequency-penalty-nan" => new() { FrequencyPenalty = float.NaN },
        "frequency-penalty-too-low" => new() { FrequencyPenalty = -2.5f },
        "presence-penalty-infinity" => new() { PresencePenalty = float.NegativeInfinity },
        "presence-penalty-too-high" => new() { PresencePenalty = 3 },
        "max-output-zero" => new() { MaxOutputTokens = 0 },
        "max-output-negative" => new() { MaxOutputTokens = -1 },
        "max-output-min" => new() { MaxOutputTokens = int.MinValue },
        "stop-null" => new() { StopSequences = ["END", null!] },
        "stop-empty" => new() { StopSequences = [string.Empty] },
        "tool-null" => new() { Tools = [null!] },
        "tool-duplicate" => new() { Tools = [Tool("lookup"), Tool("lookup")] },
        "tool-name-space" => new() { Tools = [Tool("look up")] },
        "tool-name-too-long" => new() { Tools = [Tool(new string('t', 65))] },
        "tool-mode-required-no-tools" => new() { ToolMode = ChatToolMode.RequireAny },
        "tool-mode-unknown-tool" => new() { Tools = [Tool("lookup")], ToolMode = ChatToolMode.RequireSpecific("missing") },
        "schema-name-invalid" => new() { ResponseFormat = ChatResponseFormat.ForJsonSchema(PersonSchema, "my schema!") },
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    private static IEnumerable<ChatMessage> Messages(string name)
    {
        var cycle = new Node();
        cycle.Next = cycle;
        return name switch
        {
            "custom-role" => [new(ChatRole.User, "Review this."), new(new ChatRole("critic"), "It is fine.")],
            "developer-role" => [new(new ChatRole("developer"), "Be brief.")],
            "audio-data" => [new(ChatRole.User, [new TextContent("Transcribe:"), new DataContent(new byte[] { 1, 2 }, "audio/wav")])],
            "video-data" => [new(ChatRole.User, [new DataContent(new byte[] { 1, 2 }, "video/mp4")])],
            "octet-stream-data" => [new(ChatRole.User, [new DataContent(new byte[] { 1, 2 }, "application/octet-stream")])],
            "audio-uri" => [new(ChatRole.User, [new UriContent(new Uri("https://example.com/a.mp3"), "audio/mpeg")])],
            "unknown-content" => [new(ChatRole.User, [new MysteryContent()])],
            "error-content" => [new(ChatRole.User, [new ErrorContent("boom")])],
            "null-content" => [new(ChatRole.User, [new TextContent("Hello"), null!])],
            "null-message" => [new(ChatRole.User, "Hello"), null!],
            "arguments-cycle" => ToolConversation(new Dictionary<string, object?> { ["node"] = cycle }),
            "arguments-delegate" => ToolConversation(new Dictionary<string, object?> { ["callback"] = new Func<int>(() => 1) }),
            "result-delegate" => ToolConversation(new Dictionary<string, object?> { ["city"] = "Paris" }, result: new Action(() => { })),
            "tool-call-from-user" => [new(ChatRole.User, [new FunctionCallContent("call-1", "lookup")])],
            "tool-message-without-result" => [
                new(ChatRole.User, "Weather?"),
                new(ChatRole.Assistant, [new FunctionCallContent("call-1", "lookup")]),
                new(ChatRole.Tool, "sunny")],
            "result-beside-text" => [
                new(ChatRole.User, "Weather?"),
                new(ChatRole.Assistant, [new FunctionCallContent("call-1", "lookup")]),
                new(ChatRole.Tool, [new FunctionResultContent("call-1", "sunny"), new TextContent("and warm")])],
            "whitespace-only" => [new(ChatRole.User, [new TextContent(" "), new TextContent("\n")])],
            _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
        };
    }

    private static ChatMessage[] ToolConversation(Dictionary<string, object?> arguments, object? result = null) =>
    [
        new(ChatRole.User, "What is the weather in Paris?"),
        new(ChatRole.Assistant, [new FunctionCallContent("call-1", "lookup", arguments)]),
        new(ChatRole.Tool, [new FunctionResultContent("call-1", result ?? "sunny")]),
    ];

    private static AITool Tool(string name) => AIFunctionFactory.Create(() => "x", name);

    private sealed class Node
    {
        public Node? Next { get; set; }
    }

    private sealed class MysteryContent : AIContent;
}
