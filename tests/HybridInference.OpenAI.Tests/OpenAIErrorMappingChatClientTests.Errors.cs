using System.Text.Json;
using HybridInference.OpenAI.DependencyInjection;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace HybridInference.OpenAI.Tests;

public sealed partial class OpenAIErrorMappingChatClientTests
{
    [Theory]
    [MemberData(nameof(ErrorAnswers))]
    public async Task ErrorAnswer_PlainAndStreamed_IsTheSameTypedFailureAsTheOwnWireCodeGives(string name, int status, string body)
    {
        Server.Default = Respond.Text(body, status, body.StartsWith('{') ? "application/json" : "text/plain", r => r.Headers.RetryAfter = status == 429 ? "7" : null);

        var expected = await Failure(() => Own().GetResponseAsync(Hello));
        var plain = await Failure(() => Cloud().GetResponseAsync(Hello));
        var streamed = await StreamFailure(Cloud());

        Assert.IsAssignableFrom<HybridInferenceException>(expected); // The reference is typed: so must the new client's be.
        foreach (var actual in new[] { plain, streamed })
        {
            Assert.True(expected.GetType() == actual.GetType(), $"{name}: {actual}");
            Assert.Equal(expected.Message, actual.Message);
            if (expected is BackendException reference)
            {
                var mapped = (BackendException)actual;
                Assert.Equal((reference.Kind, reference.StatusCode, reference.RetryAfter), (mapped.Kind, mapped.StatusCode, mapped.RetryAfter));
                Assert.Equal(status, mapped.StatusCode);
            }
        }
    }

    [Theory]
    [InlineData(401, BackendErrorKind.Unauthorized)]
    [InlineData(403, BackendErrorKind.Unauthorized)]
    [InlineData(400, BackendErrorKind.BadRequest)]
    [InlineData(404, BackendErrorKind.NotFound)]
    [InlineData(429, BackendErrorKind.RateLimited)]
    [InlineData(500, BackendErrorKind.ServerError)]
    [InlineData(503, BackendErrorKind.ServerError)]
    public async Task ErrorStatus_MapsToItsKind(int status, BackendErrorKind kind)
    {
        Server.Default = Respond.Json("""{"error":{"message":"Something is wrong.","type":"invalid_request_error","param":null,"code":null}}""", status);

        var error = Assert.IsType<BackendException>(await Failure(() => Cloud().GetResponseAsync(Hello)));

        Assert.Equal((kind, status), (error.Kind, error.StatusCode));
        Assert.EndsWith(": Something is wrong.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ContextLengthRejection_IsContextWindowExceeded_PlainAndStreamed()
    {
        Server.Default = Respond.File(Fixture.Path("openai", "error-context-length-exceeded.400.json"));

        var plain = Assert.IsType<ContextWindowExceededException>(await Failure(() => Cloud().GetResponseAsync(Hello)));
        var streamed = Assert.IsType<ContextWindowExceededException>(await StreamFailure(Cloud()));

        Assert.Equal((130000, 128000), (plain.RequiredTokens, plain.ContextWindow));
        Assert.Equal((130000, 128000), (streamed.RequiredTokens, streamed.ContextWindow));
    }

    [Fact]
    public async Task RateLimited_CarriesRetryAfter_FromTheHeaderOrTheMessage()
    {
        Server.Enqueue(Respond.File(Fixture.Path("openai", "error-rate-limited.429.json"), r => r.Headers.RetryAfter = "7"));
        Server.Enqueue(Respond.File(Fixture.Path("openai", "error-rate-limited.429.json")));

        var fromHeader = Assert.IsType<BackendException>(await Failure(() => Cloud().GetResponseAsync(Hello)));
        var fromMessage = Assert.IsType<BackendException>(await Failure(() => Cloud().GetResponseAsync(Hello)));

        Assert.Equal((BackendErrorKind.RateLimited, TimeSpan.FromSeconds(7)), (fromHeader.Kind, fromHeader.RetryAfter));
        Assert.Equal((BackendErrorKind.RateLimited, TimeSpan.FromSeconds(5.352)), (fromMessage.Kind, fromMessage.RetryAfter));
    }

    [Theory]
    [InlineData(408)]
    [InlineData(429)]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
    [InlineData(0)] // The connection dropped without an answer.
    public async Task RetriableAnswer_IsNotRetriedByTheSdk_TheServerSeesOneRequest(int status)
    {
        Server.Default = status == 0 ? Respond.Abort() : Respond.Json("""{"error":{"message":"try later","type":"server_error"}}""", status);

        Assert.IsType<BackendException>(await Failure(() => Cloud().GetResponseAsync(Hello)));
        Assert.Single(Server.Requests);
        Assert.IsType<BackendException>(await StreamFailure(Cloud()));
        Assert.Equal(2, Server.Requests.Count);
    }

    [Fact]
    public async Task ConnectionRefused_IsUnavailable_PlainAndStreamed()
    {
        var closed = await LoopbackServer.StartAsync();
        var endpoint = closed.V1;
        await closed.DisposeAsync();

        var plain = Assert.IsType<BackendException>(await Failure(() => Cloud(endpoint).GetResponseAsync(Hello)));
        var streamed = Assert.IsType<BackendException>(await StreamFailure(Cloud(endpoint)));

        Assert.Equal((BackendErrorKind.Unavailable, BackendErrorKind.Unavailable), (plain.Kind, streamed.Kind));
        Assert.StartsWith("Backend 'openai' could not be reached: ", plain.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("plain")]
    [InlineData("stream, before its first byte")]
    [InlineData("stream, silent after its first update")]
    public async Task ServerSlowerThanTheTimeout_IsTimeout_NamingTheSetting(string shape)
    {
        var firstChunk = Fixture.Read("openai", "chat-completion-stream.sse").Split("\n\n")[1] + "\n\n";
        Server.Default = shape switch
        {
            "plain" => Respond.Slow(TimeSpan.FromSeconds(30), Fixture.Read("openai", "chat-completion.json")),
            "stream, before its first byte" => Respond.Sse(Fixture.Read("openai", "chat-completion-stream.sse"), firstByteDelay: TimeSpan.FromSeconds(30)),
            _ => async context =>
            {
                context.Response.ContentType = "text/event-stream";
                await context.Response.WriteAsync(firstChunk);
                await context.Response.Body.FlushAsync();
                await Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted);
            },
        };
        var client = Cloud(TimeSpan.FromSeconds(1));
        var received = new List<string>();

        var error = Assert.IsType<BackendException>(shape == "plain" ? await Failure(() => client.GetResponseAsync(Hello)) : await StreamFailure(client, received));

        Assert.Equal(BackendErrorKind.Timeout, error.Kind);
        Assert.Contains("1 s, the Timeout of backend 'openai' under HybridInference:Cloud:Backends", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("NetworkTimeout", error.Message, StringComparison.Ordinal);
        Assert.Equal(shape.EndsWith("update", StringComparison.Ordinal) ? "Hello" : string.Empty, string.Concat(received));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    public async Task ConnectionCutMidStream_IsDisconnected_AfterWhatArrived(int events)
    {
        Server.Default = Respond.Sse(Fixture.Read("openai", "chat-completion-stream.sse"), abortAfterEvents: events);
        var received = new List<string>();

        var error = Assert.IsType<BackendException>(await StreamFailure(Cloud(), received));

        Assert.Equal(BackendErrorKind.Disconnected, error.Kind);
        Assert.Equal(events >= 3 ? "Hello!" : string.Empty, string.Concat(received));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(10)] // Everything but the finish chunk, the usage chunk and [DONE].
    public async Task StreamClosedBeforeItsFinishReason_IsDisconnected_NotAShortAnswer(int events)
    {
        var kept = Fixture.Read("openai", "chat-completion-stream.sse").Split("\n\n")[..events];
        Server.Default = Respond.Sse(string.Join("\n\n", kept) + "\n\n");

        var error = Assert.IsType<BackendException>(await StreamFailure(Cloud()));

        Assert.Equal(BackendErrorKind.Disconnected, error.Kind);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public async Task ErrorEventInsideA200Stream_IsAStreamError_AfterTheTextBeforeIt_NotAShortAnswer(int eventsBefore)
    {
        var events = Fixture.Read("openai", "chat-completion-stream.sse").Split("\n\n")[..eventsBefore];
        Server.Default = Respond.Sse(string.Concat(events.Select(e => e + "\n\n"))
            + $"data: {{\"error\":{{\"message\":\"The server had an error while processing your request. Key {Key}\",\"type\":\"server_error\"}}}}\n\n");
        var received = new List<string>();

        var error = Assert.IsType<BackendException>(await StreamFailure(Cloud(), received));

        Assert.Equal(BackendErrorKind.StreamError, error.Kind);
        Assert.Contains("The server had an error while processing your request.", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, error.ToString(), StringComparison.Ordinal);
        Assert.Equal(eventsBefore == 3 ? "Hello!" : string.Empty, string.Concat(received));
    }

    [Fact]
    public async Task ContextLengthErrorEventInsideA200Stream_IsContextWindowExceeded()
    {
        Server.Default = Respond.Sse("data: {\"error\":{\"message\":\"This model's maximum context length is 128000 tokens.\",\"type\":\"invalid_request_error\",\"code\":\"context_length_exceeded\"}}\n\n");

        var error = Assert.IsType<ContextWindowExceededException>(await StreamFailure(Cloud()));

        Assert.Equal(((int?)null, 128000), (error.RequiredTokens, error.ContextWindow)); // The event names only the window.
    }

    [Fact]
    public async Task RequestRefusedBeforeSending_IsTheCallersError_NotABackendFailure()
    {
        var error = await Failure(() => Cloud().GetResponseAsync((IEnumerable<ChatMessage>)null!));

        Assert.IsType<ArgumentNullException>(error);
        Assert.Empty(Server.Requests);
    }

    [Theory]
    [InlineData("this is not json")]
    [InlineData("")]
    [InlineData("{\"choices\": []}")]
    [InlineData("{\"choices\": [{\"index\": 0}]}")]
    [InlineData("{\"id\":\"x\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hi\"},\"finish_reason\":\"no-such-reason\"}]}")]
    public async Task BodyThatIsNotAChatCompletion_IsMalformedResponse(string body)
    {
        Server.Default = Respond.Json(body);

        var error = Assert.IsType<BackendException>(await Failure(() => Cloud().GetResponseAsync(Hello)));

        Assert.Equal(BackendErrorKind.MalformedResponse, error.Kind);
    }

    [Theory]
    [InlineData("data: {\"choices\": [\n\ndata: [DONE]\n\n")]
    [InlineData("data: not json\n\ndata: [DONE]\n\n")]
    public async Task StreamEventThatIsNotJson_IsMalformedResponse(string sse)
    {
        Server.Default = Respond.Sse(sse);

        var error = Assert.IsType<BackendException>(await StreamFailure(Cloud()));

        Assert.Equal(BackendErrorKind.MalformedResponse, error.Kind);
    }

    [Fact]
    public async Task CallerCancellation_IsACancellation_NotABackendFailure()
    {
        Server.Default = Respond.Slow(TimeSpan.FromSeconds(30), "{}");
        using var plain = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        using var streamed = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        Assert.IsAssignableFrom<OperationCanceledException>(await Failure(() => Cloud().GetResponseAsync(Hello, null, plain.Token)));
        Assert.IsAssignableFrom<OperationCanceledException>(await Failure(async () =>
        {
            await foreach (var _ in Cloud().GetStreamingResponseAsync(Hello, null, streamed.Token))
            {
            }
        }));
    }

    public static TheoryData<string> UnsendableContents() => ["application/x-weird data", "text/csv data", "audio/ogg data", "video/mp4 uri", "application/pdf uri", "error content", "non-function tool"];

    [Theory]
    [MemberData(nameof(UnsendableContents))]
    public async Task ContentTheRequestCannotCarry_IsRefusedBeforeSending_NotDropped(string kind)
    {
        Server.Default = Respond.File(Fixture.Path("openai", "chat-completion.json"));
        var message = new ChatMessage(ChatRole.User, "Summarize the attachment.");
        var options = new ChatOptions();
        switch (kind)
        {
            case "non-function tool":
                options.Tools = [new HostedWebSearchTool()];
                break;
            case "error content":
                message.Contents.Add(new ErrorContent("an error"));
                break;
            case var uri when uri.EndsWith(" uri", StringComparison.Ordinal):
                message.Contents.Add(new UriContent(new Uri("https://files.example/attachment"), uri[..^4]));
                break;
            default:
                message.Contents.Add(new DataContent(new byte[] { 1, 2, 3 }, kind[..^5]));
                break;
        }

        var plain = await Failure(() => Cloud().GetResponseAsync([message], options));
        var streamed = await Failure(async () =>
        {
            await foreach (var _ in Cloud().GetStreamingResponseAsync([message], options))
            {
            }
        });

        Assert.IsType<NotSupportedException>(plain); // The caller's request, not the backend's fault...
        Assert.IsType<NotSupportedException>(streamed);
        Assert.Contains("Nothing was sent.", plain.Message, StringComparison.Ordinal);
        Assert.Empty(Server.Requests); // ...and not sent without the part.
    }

    [Theory]
    [InlineData("image/png", "image_url")]
    [InlineData("application/pdf", "file")]
    [InlineData("audio/wav", "input_audio")]
    [InlineData("audio/mpeg", "input_audio")]
    public async Task AttachmentTheRequestCanCarry_IsSent(string mediaType, string part)
    {
        Server.Default = Respond.File(Fixture.Path("openai", "chat-completion.json"));
        var message = new ChatMessage(ChatRole.User, "Summarize the attachment.");
        message.Contents.Add(new DataContent(new byte[] { 1, 2, 3 }, mediaType));

        await Cloud().GetResponseAsync([message]);

        using var body = JsonDocument.Parse(Assert.Single(Server.Requests).Body);
        var parts = body.RootElement.GetProperty("messages")[0].GetProperty("content");
        Assert.Equal(["text", part], parts.EnumerateArray().Select(p => p.GetProperty("type").GetString()));
    }

    // ---- secrets ------------------------------------------------------------------------------------------------

    public static TheoryData<string> KeyForms => Echoes.KeyFormNames();

    [Theory]
    [MemberData(nameof(KeyForms))]
    public async Task KeyEchoedInAnyRecognisableForm_IsInNoExceptionOfTheCloudClient(string form)
    {
        var echoed = Echoes.KeyForms(Echoes.Key)[form];
        Server.Default = Respond.Json(
            $$$"""{"error":{"message":"Incorrect API key provided: {{{Echoes.Escape(echoed)}}}. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","code":"invalid_api_key"}}""",
            401);
        var client = Cloud(Server.V1, apiKey: Echoes.Key);

        var plain = await Failure(() => client.GetResponseAsync(Hello));
        var streamed = await StreamFailure(client);

        Assert.Equal($"Bearer {Echoes.Key}", Server.Requests[0].Header("Authorization"));
        foreach (var error in new[] { plain, streamed })
        {
            var text = error.ToString();
            Assert.Equal(BackendErrorKind.Unauthorized, Assert.IsType<BackendException>(error).Kind);
            Assert.DoesNotContain(echoed, text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(Echoes.Key, text, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("Incorrect API key provided: ", text, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("timeout")]
    [InlineData("refused")]
    [InlineData("cut")]
    [InlineData("malformed")]
    [InlineData("key in a malformed answer")]
    public async Task Key_IsInNoExceptionOfAnyFailure(string failure)
    {
        var endpoint = Server.V1;
        var completion = Fixture.Read("openai", "chat-completion.json");
        switch (failure)
        {
            case "timeout":
                Server.Default = Respond.Slow(TimeSpan.FromSeconds(30), completion);
                break;
            case "refused":
                var closed = await LoopbackServer.StartAsync();
                endpoint = closed.V1;
                await closed.DisposeAsync();
                break;
            case "cut":
                Server.Default = Respond.Sse(Fixture.Read("openai", "chat-completion-stream.sse"), abortAfterEvents: 2);
                break;
            case "malformed":
                Server.Default = Respond.Json("{\"choices\": [] " + Key);
                break;
            default:
                Server.Default = Respond.Json(completion.Replace("\"finish_reason\":\"stop\"", $"\"finish_reason\":\"{Key}\"", StringComparison.Ordinal));
                break;
        }

        var client = Cloud(endpoint, TimeSpan.FromSeconds(1));
        var errors = new[] { await Failure(() => client.GetResponseAsync(Hello)), await StreamFailure(client) };

        Assert.All(errors, e => Assert.IsType<BackendException>(e));
        Assert.All(errors, e => Assert.DoesNotContain(Key, e.ToString(), StringComparison.OrdinalIgnoreCase));
        Assert.All(errors, e => Assert.DoesNotContain(Key[..12], e.ToString(), StringComparison.OrdinalIgnoreCase));
    }

    public static TheoryData<string> RequestKinds => Echoes.RequestKindNames();

    [Theory]
    [MemberData(nameof(RequestKinds))]
    public async Task RequestTextOfEveryKind_QuotedInA400_IsNotInTheException(string kind)
    {
        var request = Echoes.RequestKinds()[kind];
        Server.Default = Echoes.QuotingTheBody(
            request.Sentinel, quote => Respond.Json($$$"""{"error":{"message":"Invalid input near '{{{quote}}}': not allowed.","type":"invalid_request_error","code":null}}""", 400));

        var error = Assert.IsType<BackendException>(await Failure(() => Cloud().GetResponseAsync(request.Messages, request.Options)));

        Assert.Contains(request.Sentinel, Assert.Single(Server.Requests).Body, StringComparison.Ordinal); // It was sent...
        Assert.DoesNotContain(request.Sentinel, error.ToString(), StringComparison.Ordinal); // ...and is not quoted back.
        Assert.Contains("[prompt text]", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("': not allowed.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingKey_IsAClearErrorNamingTheSetting_NotABackendFailure()
    {
        var error = Assert.Throws<InvalidOperationException>(() => OpenAIBackendClientFactory.CreateOpenAICloud(
            new OpenAICompatibleChatClientOptions { Provider = "openai", Endpoint = new Uri("https://api.example.test/v1"), Model = "gpt-4o", Name = "o" }, new HttpClient(), probe: null));

        Assert.Contains("OPENAI_API_KEY", error.Message, StringComparison.Ordinal);
    }
}
