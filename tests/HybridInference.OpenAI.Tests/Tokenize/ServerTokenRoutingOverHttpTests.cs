using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace HybridInference.OpenAI.Tests.Tokenize;

/// <summary>
/// Through <c>AddHybridInference</c> from configuration over loopback: a local backend with no <c>Tokenizer</c> whose
/// server counts tokens has a prompt near its window counted by that server, and routed on that count: a local-only
/// prompt that fits by it is answered locally though its estimate is over the window, one that does not fit is refused
/// though its estimate fits, and never reaches the server's chat endpoint. Far from every limit the server is not
/// asked; a tokenize endpoint that is missing, failing or slow leaves the estimate, never fails the request and never
/// counts against the backend.
/// </summary>
/// <remarks>
/// The window is 2,048 tokens with 256 kept for the answer: 1,792 for the prompt. The prompts are digits, which the
/// estimate counts three to a token: 5,700 digits are estimated at about 1,900 (over), 4,500 at about 1,500 (under);
/// both are near the limit by <c>TokenEstimateBand</c>. The stand-in servers count four digits a token (5,700: about
/// 1,425, fits) or one (4,500, does not), the way a Llama vocabulary splits every digit.
/// </remarks>
public sealed class ServerTokenRoutingOverHttpTests
{
    private const int Room = 2048 - 256;

    public static TheoryData<string, bool> Dialects()
    {
        var data = new TheoryData<string, bool>();
        foreach (var provider in new[] { "vllm", "tgi", "llamacpp", "localai" })
        {
            data.Add(provider, false);
            data.Add(provider, true);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Dialects))]
    public async Task LocalOnly_EstimateOverTheWindow_ServerCountFits_IsAnsweredLocally(string provider, bool streaming)
    {
        await using var local = await Local(provider, charactersPerToken: 4, streaming);
        await using var services = Build(provider, local, cloud: null);

        var outcome = await SendAsync(services.GetRequiredService<IChatClient>(), Digits(5700), new ChatOptions().WithDataPolicy(DataPolicy.LocalOnly), streaming);

        Assert.Equal(BackendLane.Local, outcome.Target);
        Assert.True(outcome.PromptTokensExact);
        Assert.InRange(outcome.EstimatedPromptTokens, 5700 / 4, Room); // the server's count, with its template's tokens
        Assert.Single(local.Requests, r => r.Path == "/v1/chat/completions");
    }

    [Theory]
    [InlineData("vllm")]
    [InlineData("tgi")]
    [InlineData("llamacpp")]
    [InlineData("localai")]
    public async Task LocalOnly_EstimateFits_ServerCountDoesNot_IsRefused_AndNeverReachesTheChatEndpoint(string provider)
    {
        await using var local = await Local(provider, charactersPerToken: 1, streaming: false);
        await using var services = Build(provider, local, cloud: null);

        var refused = await Assert.ThrowsAsync<ContextWindowExceededException>(
            () => services.GetRequiredService<IChatClient>().GetResponseAsync(Digits(4500), new ChatOptions().WithDataPolicy(DataPolicy.LocalOnly)));

        Assert.InRange(refused.RequiredTokens!.Value, 4500 + 256, 4500 + 256 + 64); // the server's count and the reserve
        Assert.Equal(2048, refused.ContextWindow);
        Assert.DoesNotContain(local.Requests, r => r.Path == "/v1/chat/completions");
    }

    [Fact]
    public async Task Routable_ServerCountTooLong_GoesToTheCloudAsContextLimit()
    {
        await using var local = await Local("llamacpp", charactersPerToken: 1, streaming: false);
        await using var cloud = await Cloud();
        await using var services = Build("llamacpp", local, cloud);

        var outcome = (await services.GetRequiredService<IChatClient>().GetResponseAsync(Digits(4500))).GetRouteOutcome()!;

        Assert.Equal((BackendLane.Cloud, RouteReason.ContextLimit, true), (outcome.Target, outcome.DecisionReason, outcome.PromptTokensExact));
        Assert.DoesNotContain(local.Requests, r => r.Path == "/v1/chat/completions");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task FarFromEveryLimit_TheServerIsNotAsked(bool streaming)
    {
        await using var local = await Local("llamacpp", charactersPerToken: 4, streaming);
        await using var services = Build("llamacpp", local, cloud: null);

        var chat = services.GetRequiredService<IChatClient>();

        var far = await SendAsync(chat, Digits(300), new ChatOptions(), streaming);
        var requestsWhenFar = local.Requests.Select(r => r.Path).ToList();
        var near = await SendAsync(chat, Digits(5700), new ChatOptions(), streaming);

        Assert.Equal((BackendLane.Local, false), (far.Target, far.PromptTokensExact));
        Assert.Equal(["/v1/chat/completions"], requestsWhenFar); // the source is there (the near prompt asks it), but far from the limit it is not asked
        Assert.True(near.PromptTokensExact);
        Assert.Contains(local.Requests, r => r.Path == "/tokenize");
    }

    [Fact]
    public async Task ServerTokenCountOff_TheServerIsNeverAsked()
    {
        await using var local = await Local("llamacpp", charactersPerToken: 1, streaming: false);
        await using var services = Build("llamacpp", local, cloud: null, serverTokenCount: false);
        var chat = services.GetRequiredService<IChatClient>();

        var fits = (await chat.GetResponseAsync(Digits(4500), new ChatOptions().WithDataPolicy(DataPolicy.LocalOnly))).GetRouteOutcome()!;
        await Assert.ThrowsAsync<ContextWindowExceededException>(() => chat.GetResponseAsync(Digits(5700), new ChatOptions().WithDataPolicy(DataPolicy.LocalOnly)));

        Assert.False(fits.PromptTokensExact); // decided on the estimate, which is all there is
        Assert.Equal(["/v1/chat/completions"], local.Requests.Select(r => r.Path));

        // The same backend with the key left at its default: the same prompts are counted by its server.
        await using var counted = await Local("llamacpp", charactersPerToken: 1, streaming: false);
        await using var on = Build("llamacpp", counted, cloud: null);
        await Assert.ThrowsAsync<ContextWindowExceededException>(() => on.GetRequiredService<IChatClient>().GetResponseAsync(Digits(4500), new ChatOptions().WithDataPolicy(DataPolicy.LocalOnly)));
        Assert.Contains(counted.Requests, r => r.Path == "/tokenize");
    }

    [Fact]
    public async Task MissingTokenizeEndpoint_FallsBackToTheEstimate_TurnsTheSourceOff_AndSaysSoOnce()
    {
        await using var local = await LoopbackServer.StartAsync();
        local.ProbesApart = true;
        local.Default = Chat("llamacpp", streaming: false, other: Respond.File(Fixture.Path("llamacpp", "error-not-found-route.404.json")));
        var logs = new FakeLoggerProvider();
        await using var services = Build("llamacpp", local, cloud: null, logs: logs);
        var chat = services.GetRequiredService<IChatClient>();

        var first = (await chat.GetResponseAsync(Digits(4500), new ChatOptions().WithDataPolicy(DataPolicy.LocalOnly))).GetRouteOutcome()!;
        var second = (await chat.GetResponseAsync(Digits(4499), new ChatOptions().WithDataPolicy(DataPolicy.LocalOnly))).GetRouteOutcome()!;

        Assert.Equal((BackendLane.Local, false), (first.Target, first.PromptTokensExact));
        Assert.Equal((BackendLane.Local, false), (second.Target, second.PromptTokensExact));
        Assert.Single(local.Requests, r => r.Path == "/tokenize"); // asked once; the 404 turned it off
        Assert.Single(logs.Lines, l => l.Contains("has no tokenize endpoint (404)", StringComparison.Ordinal));
        AssertNothingCounted(services);
    }

    [Theory]
    [InlineData(500)]
    [InlineData(503)]
    public async Task FailingTokenizeEndpoint_FallsBackToTheEstimate_AndNeverCountsAgainstTheBackend(int status)
    {
        await using var local = await LoopbackServer.StartAsync();
        local.ProbesApart = true;
        local.Default = Chat("llamacpp", streaming: false, other: Respond.Json("""{"error":{"code":500,"message":"tokenizer failed","type":"server_error"}}""", status));
        await using var services = Build("llamacpp", local, cloud: null);
        var chat = services.GetRequiredService<IChatClient>();

        for (var i = 0; i < 6; i++)
        {
            var outcome = (await chat.GetResponseAsync(Digits(4500 + i), new ChatOptions().WithDataPolicy(DataPolicy.LocalOnly))).GetRouteOutcome()!;
            Assert.Equal((BackendLane.Local, false), (outcome.Target, outcome.PromptTokensExact));
        }

        Assert.Equal(6, local.Requests.Count(r => r.Path == "/tokenize")); // asked again each time: the failure may pass
        AssertNothingCounted(services);
    }

    [Fact]
    public async Task SlowTokenizeEndpoint_FallsBackToTheEstimateAtItsTimeout()
    {
        var time = new FakeTimeProvider();
        await using var local = await LoopbackServer.StartAsync();
        local.ProbesApart = true;
        var asked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        local.Default = Chat("vllm", streaming: false, other: async context =>
        {
            asked.TrySetResult();
            await Task.Delay(Timeout.Infinite, context.RequestAborted);
        });
        await using var services = Build("vllm", local, cloud: null, time: time);

        var answer = services.GetRequiredService<IChatClient>().GetResponseAsync(Digits(4500), new ChatOptions().WithDataPolicy(DataPolicy.LocalOnly));
        await asked.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(answer.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(2));
        var outcome = (await answer.WaitAsync(TimeSpan.FromSeconds(30))).GetRouteOutcome()!;

        Assert.Equal((BackendLane.Local, false), (outcome.Target, outcome.PromptTokensExact));
        AssertNothingCounted(services);
    }

    private static string Digits(int count) => string.Concat(Enumerable.Range(0, count).Select(i => (char)('0' + ((i * 7) % 10))));

    private static void AssertNothingCounted(IServiceProvider services)
    {
        var status = services.GetRequiredService<IHybridInferenceStatus>().GetStatus();
        var backend = Assert.Single(status.Backends, b => b.Lane == BackendLane.Local);
        Assert.Equal((BackendHealth.Healthy, 0, null), (backend.Health, backend.ConsecutiveFailures, backend.LastError));
        Assert.Equal(Polly.CircuitBreaker.CircuitState.Closed, status.LocalCircuit);
        Assert.All(status.LocalCircuitFailures.Values, count => Assert.Equal(0, count));
    }

    private static async Task<RouteOutcome> SendAsync(IChatClient chat, string prompt, ChatOptions options, bool streaming)
    {
        if (!streaming)
        {
            return (await chat.GetResponseAsync(prompt, options)).GetRouteOutcome()!;
        }

        RouteOutcome? outcome = null;
        await foreach (var update in chat.GetStreamingResponseAsync(prompt, options))
        {
            outcome = update.GetRouteOutcome() ?? outcome;
        }

        return outcome!;
    }

    /// <summary>A local server: its dialect's tokenize endpoints (stand-in tokenizer) and its chat completion fixture.</summary>
    private static async Task<LoopbackServer> Local(string provider, int charactersPerToken, bool streaming)
    {
        var server = await LoopbackServer.StartAsync();
        server.ProbesApart = true; // the chain probes from the moment it is built
        var chat = Chat(provider, streaming);
        server.Default = provider switch
        {
            "llamacpp" => TokenizeServers.LlamaCpp(charactersPerToken, other: chat),
            "localai" => TokenizeServers.LocalAI(charactersPerToken, other: chat),
            "vllm" => TokenizeServers.Vllm(body => TokenizeServers.Count(new string('x', TokenizeServers.ContentLength(body)), charactersPerToken) + 7, chat),
            _ => TokenizeServers.Tgi(body => TokenizeServers.Count(new string('x', TokenizeServers.ContentLength(body)), charactersPerToken) + 7, chat),
        };
        return server;
    }

    private static async Task<LoopbackServer> Cloud()
    {
        var server = await LoopbackServer.StartAsync();
        server.ProbesApart = true;
        server.Default = Respond.File(Fixture.Path("openai", "chat-completion.json"));
        return server;
    }

    private static Func<HttpContext, Task> Chat(string provider, bool streaming, Func<HttpContext, Task>? other = null) => context =>
        context.Request.Path.Value == "/v1/chat/completions"
            ? Respond.File(Fixture.Path(provider, streaming ? "chat-completion-stream.sse" : "chat-completion.json"))(context)
            : (other ?? (c => { c.Response.StatusCode = 404; return Task.CompletedTask; }))(context);

    private static ServiceProvider Build(
        string provider, LoopbackServer local, LoopbackServer? cloud, bool serverTokenCount = true, FakeLoggerProvider? logs = null, TimeProvider? time = null)
    {
        var cloudSection = cloud is null ? string.Empty
            : $$""", "Cloud": { "Backends": [ { "Name": "openai", "Provider": "openai", "Endpoint": "{{cloud.V1}}", "Model": "gpt-4o", "ApiKey": "sk-test", "AllowInsecureHttp": true } ] }""";
        var json = $$"""
            {
              "HybridInference": {
                "Routing": { "DefaultOutputTokens": 256 },
                "Local": { "Backends": [ { "Name": "local", "Provider": "{{provider}}", "Endpoint": "{{local.V1}}", "Model": "m", "ContextWindow": 2048, "ServerTokenCount": {{(serverTokenCount ? "true" : "false")}} } ] }{{cloudSection}}
              }
            }
            """;
        var configuration = JsonSettings.Parse(json);
        var services = new ServiceCollection();
        if (time is not null)
        {
            services.AddSingleton(time);
        }

        services.AddLogging(b =>
        {
            b.SetMinimumLevel(LogLevel.Debug);
            if (logs is not null)
            {
                b.AddProvider(logs);
            }
        });
        services.AddHybridInference(configuration.GetSection("HybridInference")).AddOpenAIProviders();
        return services.BuildServiceProvider();
    }
}
