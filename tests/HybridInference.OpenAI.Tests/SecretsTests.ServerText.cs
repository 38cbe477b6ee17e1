using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace HybridInference.OpenAI.Tests;

public sealed partial class SecretsTests
{
    [Theory]
    [InlineData("sk-x", "Key SK-X is not valid here; sk-x.")]
    [InlineData("local-key", "LOCAL-KEY rejected: local-key")]
    public async Task AShortKey_OnlyItsExactFormIsRemoved_SoInnocentTextStays(string key, string message)
    {
        await using var server = await LoopbackServer.StartAsync();
        server.Default = Respond.Json($$$"""{"error":{"message":"{{{message}}}","type":"invalid_request_error"}}""", 401);
        var client = new OpenAICompatibleChatClient(new OpenAICompatibleChatClientOptions { Provider = "openai", Endpoint = server.V1, Model = "gpt-4o", ApiKey = key, Name = "openai" });

        var error = await Assert.ThrowsAsync<BackendException>(() => client.GetResponseAsync("Summarize this."));

        Assert.EndsWith(": " + message.Replace(key, "***", StringComparison.Ordinal), error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Rate limit reached for gpt-4o in organization org-12ab on tokens per min (TPM): Limit 30000, Used 29950. Please try again in 1.5s.")]
    [InlineData("Loading model... please wait **** and retry")]
    [InlineData("Keys look like sk-... and are 51 characters long; yours is not valid.")]
    [InlineData("Invalid base64 in 'image_url': U29tZSBvdGhlciB0ZXh0IGVudGlyZWx5")]
    public async Task ServerText_ThatOnlyResemblesAKey_IsKeptWordForWord(string message)
    {
        await using var server = await LoopbackServer.StartAsync();
        server.Default = Respond.Json($$$"""{"error":{"message":"{{{message}}}","type":"invalid_request_error"}}""", 400);
        var client = new OpenAICompatibleChatClient(new OpenAICompatibleChatClientOptions { Provider = "openai", Endpoint = server.V1, Model = "gpt-4o", ApiKey = Echoes.Key, Name = "openai" });

        var error = await Assert.ThrowsAsync<BackendException>(() => client.GetResponseAsync("Summarize this."));

        Assert.EndsWith(": " + message, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(RequestKinds))]
    public async Task RequestTextOfEveryKind_QuotedInA400_IsNotInTheException(string kind)
    {
        var request = Echoes.RequestKinds()[kind];
        await using var server = await LoopbackServer.StartAsync();
        server.Default = Echoes.QuotingTheBody(
            request.Sentinel, quote => Respond.Json($$$"""{"error":{"message":"Invalid input near '{{{quote}}}': not allowed.","type":"BadRequestError","code":400}}""", 400));
        var client = new OpenAICompatibleChatClient(new OpenAICompatibleChatClientOptions { Provider = "vllm", Endpoint = server.V1, Model = "m", Name = "local" });

        var error = await Assert.ThrowsAsync<BackendException>(() => client.GetResponseAsync(request.Messages, request.Options));

        Assert.Contains(request.Sentinel, Assert.Single(server.Requests).Body, StringComparison.Ordinal); // It was sent...
        Assert.DoesNotContain(request.Sentinel, error.ToString(), StringComparison.Ordinal); // ...and is not quoted back.
        Assert.Contains("[prompt text]", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("': not allowed.", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(RequestKinds))]
    public async Task RequestTextOfEveryKind_QuotedInAnErrorEventOfAStream_IsNotInTheException(string kind)
    {
        var request = Echoes.RequestKinds()[kind];
        await using var server = await LoopbackServer.StartAsync();
        server.Default = Echoes.QuotingTheBody(
            request.Sentinel, quote => Respond.Sse($$$"""data: {"error":{"message":"Invalid input near '{{{quote}}}': not allowed.","type":"BadRequestError","code":400}}""" + "\n\n"));
        var client = new OpenAICompatibleChatClient(new OpenAICompatibleChatClientOptions { Provider = "vllm", Endpoint = server.V1, Model = "m", Name = "local" });

        var error = await Assert.ThrowsAsync<BackendException>(async () =>
        {
            await foreach (var update in client.GetStreamingResponseAsync(request.Messages, request.Options))
            {
            }
        });

        Assert.Equal(BackendErrorKind.StreamError, error.Kind);
        Assert.Contains(request.Sentinel, Assert.Single(server.Requests).Body, StringComparison.Ordinal);
        Assert.DoesNotContain(request.Sentinel, error.ToString(), StringComparison.Ordinal);
        Assert.Contains("[prompt text]", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1 KB of random text", "other")]
    [InlineData("the key", "other")]
    [InlineData("a key-looking string", "other")]
    [InlineData("a new value per response", "other")]
    [InlineData("another model with the configured one's name as prefix", "other")]
    [InlineData("a dated version of the configured model", "gpt-4o")]
    [InlineData("the configured model in other casing", "gpt-4o")]
    public async Task ResponseModel_TheServerSends_BecomesATagOnlyAsAConfiguredModelName(string sent, string expected)
    {
        var random = new Random(13);
        var count = 0;
        string Model() => sent switch
        {
            "1 KB of random text" => string.Concat(Enumerable.Range(0, 1024).Select(_ => (char)random.Next('a', 'z' + 1))),
            "the key" => Key,
            "a key-looking string" => "sk-proj-" + Guid.NewGuid().ToString("N"),
            "a new value per response" => $"model-{Interlocked.Increment(ref count)}",
            "another model with the configured one's name as prefix" => "gpt-4o-mini",
            "a dated version of the configured model" => "gpt-4o-2024-08-06",
            _ => "GPT-4O",
        };
        await using var local = await LoopbackServer.StartAsync();
        await using var cloud = await LoopbackServer.StartAsync();
        var completion = Fixture.Read("openai", "chat-completion.json");
        cloud.Default = context => Respond.Json(completion.Replace("\"gpt-4o-2024-08-06\"", JsonSerializer.Serialize(Model()), StringComparison.Ordinal))(context);

        // The finish reason, also the server's string, from the local server: the OpenAI SDK under the cloud provider
        // refuses a finish reason it does not know (a malformed answer, OpenAIErrorMappingChatClientTests).
        var localCompletion = Fixture.Read("vllm", "chat-completion.json");
        local.Default = context => Respond.Json(localCompletion.Replace("\"finish_reason\":\"stop\"", $"\"finish_reason\":{JsonSerializer.Serialize(Model())}", StringComparison.Ordinal))(context);
        await using var observed = Observed.Start(local, cloud, Key);
        using var metrics = new MeterCollector(observed.Services.GetRequiredService<IMeterFactory>(), "HybridInference");
        using var test = new ActivitySource("SecretsTests." + Guid.NewGuid().ToString("N"));
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "HybridInference" || source.Name == test.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        var spans = new ConcurrentQueue<Activity>();
        var localSpans = new ConcurrentQueue<Activity>();
        using (var root = StartRoot(test, listener))
        {
            listener.ActivityStopped = a => Keep(spans, a, root.TraceId);
            for (var i = 0; i < 4; i++)
            {
                await observed.Chat.GetResponseAsync("Summarize this.", new ChatOptions().WithTaskCategory(TaskCategory.Complex));
            }
        }

        var metricValues = metrics.All.Where(m => m.Tags.ContainsKey("gen_ai.response.model")).Select(m => m.Tag("gen_ai.response.model")).ToList();

        using (var root = test.StartActivity("local root")!)
        {
            listener.ActivityStopped = a => Keep(localSpans, a, root.TraceId);
            for (var i = 0; i < 4; i++)
            {
                await observed.Chat.GetResponseAsync("Summarize this.", new ChatOptions().WithTaskCategory(TaskCategory.Routine));
            }
        }

        var spanValues = spans.Select(a => a.GetTagItem("gen_ai.response.model") as string).ToList();
        Assert.Equal(8, spanValues.Count); // A request span and an attempt span each time.
        Assert.NotEmpty(metricValues);
        Assert.All(spanValues.Concat(metricValues), value => Assert.Equal(expected, value));
        Assert.Equal(8, localSpans.Count);
        Assert.All(localSpans, a => Assert.Equal(["other"], Assert.IsType<string[]>(a.GetTagItem("gen_ai.response.finish_reasons")))); // The finish reason, also the server's string.
        Assert.All(spans, a => Assert.Equal(["stop"], Assert.IsType<string[]>(a.GetTagItem("gen_ai.response.finish_reasons"))));
    }

    private static void Keep(ConcurrentQueue<Activity> spans, Activity activity, ActivityTraceId trace)
    {
        if (activity.TraceId == trace && activity.Source.Name == "HybridInference")
        {
            spans.Enqueue(activity);
        }
    }

    private static Activity StartRoot(ActivitySource source, ActivityListener listener)
    {
        ActivitySource.AddActivityListener(listener);
        return source.StartActivity("test root") ?? throw new InvalidOperationException("The test's listener did not sample its root.");
    }
}
