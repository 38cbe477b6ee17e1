using System.Text.Json;
using HybridInference.TestUtilities;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.ML.Tokenizers;

namespace HybridInference.Tokenizers.Tests;

/// <summary>
/// History fitting end to end over loopback HTTP: a 60-turn chat through <c>AddHybridInference</c>, <c>AddTokenizers</c>
/// and <c>AddOpenAIProviders</c>, with a local OpenAI-compatible stand-in server whose window is 2,048 tokens and whose
/// tokenizer is o200k_base. The server counts every prompt it receives with that tokenizer and answers 400 (as a real
/// server does) when prompt and <c>max_tokens</c> do not fit its window; every turn stays local and every prompt fits.
/// </summary>
public sealed class HistoryFittingOverHttpTests
{
    private const int Window = 2048;
    private const int Reserve = 256;

    private static readonly Lazy<TokenizerTokenCounter> O200k = new(() => new(TiktokenTokenizer.CreateForEncoding("o200k_base"), "o200k_base"));

    [Theory]
    [InlineData("Summarize", false)]
    [InlineData("Trim", true)]
    public async Task SixtyTurnChat_StaysLocal_AndEveryPromptTheServerGetsFitsItsWindowByTheExactCount(string mode, bool localOnly)
    {
        await using var local = await WindowedServer.StartAsync();
        await using var cloud = await LoopbackServer.StartAsync();
        cloud.ProbesApart = true; // the chain probes from the moment it is built
        await using var services = Build(mode, local.Server, cloud);
        var chat = services.GetRequiredService<IChatClient>();

        var history = new List<ChatMessage> { new(ChatRole.System, "You are a helpful assistant for a warehouse.") };
        var reduced = 0;
        for (var i = 0; i < 60; i++)
        {
            history.Add(new ChatMessage(ChatRole.User, Turn(i)));
            var options = localOnly ? new ChatOptions().WithDataPolicy(DataPolicy.LocalOnly) : new ChatOptions();
            var response = await chat.GetResponseAsync(history, options);
            var outcome = response.GetRouteOutcome()!;

            Assert.Equal(BackendLane.Local, outcome.Target);
            if (outcome.History is { } history1)
            {
                reduced++;
                Assert.True(history1.Fitted && outcome.PromptTokensExact);
                Assert.Equal(local.LastAnswerPromptTokens, history1.PromptTokensAfter);
            }

            history.AddMessages(response);
        }

        Assert.True(reduced > 30, $"{reduced} of 60 turns reduced");
        Assert.Empty(cloud.Requests);
        Assert.Equal(60, local.Answers);
        Assert.True(local.Overflows.Count == 0, string.Join(Environment.NewLine, local.Overflows));
        Assert.True(mode != "Summarize" || local.Summaries > 0);
    }

    private static string Turn(int i) =>
        $"Turn {i}: please keep track of order {i * 7919 % 10007} for customer {i * 31}, shipped to warehouse {i % 13} on day {i % 28 + 1}, "
        + $"and tell me whether invoice {i * 104729 % 1000003} matches the delivery note, the pallet count {i % 40} and the carrier's reference.";

    private static ServiceProvider Build(string mode, LoopbackServer local, LoopbackServer cloud)
    {
        var json = $$"""
            {
              "HybridInference": {
                "Routing": { "DefaultOutputTokens": {{Reserve}} },
                "Local": { "History": { "Mode": "{{mode}}" },
                           "Backends": [ { "Name": "local", "Provider": "vllm", "Endpoint": "{{local.V1}}", "Model": "m", "ContextWindow": {{Window}}, "Tokenizer": "o200k_base" } ] },
                "Cloud": { "Backends": [ { "Name": "openai", "Provider": "openai", "Endpoint": "{{cloud.V1}}", "Model": "gpt-4o", "ApiKey": "sk-test", "AllowInsecureHttp": true } ] }
              }
            }
            """;
        var services = new ServiceCollection();
        services.AddHybridInference(JsonSettings.Parse(json).GetSection("HybridInference")).AddOpenAIProviders().AddTokenizers();
        return services.BuildServiceProvider();
    }

    /// <summary>
    /// A local OpenAI-compatible server with a 2,048-token window: it counts each prompt with o200k_base, refuses (400,
    /// as vLLM does) one that does not fit with its <c>max_tokens</c>, and answers summaries and turns apart.
    /// </summary>
    private sealed class WindowedServer : IAsyncDisposable
    {
        private readonly Lock _gate = new();

        private WindowedServer(LoopbackServer server) => Server = server;

        public LoopbackServer Server { get; }

        public List<string> Overflows { get; } = [];

        public int Answers { get; private set; }

        public int Summaries { get; private set; }

        public int LastAnswerPromptTokens { get; private set; }

        public static async Task<WindowedServer> StartAsync()
        {
            var server = new WindowedServer(await LoopbackServer.StartAsync());
            server.Server.ProbesApart = true;
            server.Server.RecordRequests = false;
            server.Server.Default = server.AnswerAsync;
            return server;
        }

        public ValueTask DisposeAsync() => Server.DisposeAsync();

        private async Task AnswerAsync(HttpContext context)
        {
            using var body = JsonDocument.Parse(LoopbackServer.BodyOf(context));
            var messages = new List<ChatMessage>();
            foreach (var message in body.RootElement.GetProperty("messages").EnumerateArray())
            {
                messages.Add(new ChatMessage(new ChatRole(message.GetProperty("role").GetString()!), message.GetProperty("content").GetString()));
            }

            var maxTokens = body.RootElement.GetProperty("max_tokens").GetInt32();
            var prompt = O200k.Value.CountPromptTokens(messages, null);
            var summary = messages[0].Text.StartsWith("You condense conversations", StringComparison.Ordinal);
            lock (_gate)
            {
                if (prompt + maxTokens > Window)
                {
                    Overflows.Add($"{(summary ? "summary" : "answer")} prompt of {prompt} tokens + {maxTokens} output > {Window}");
                }

                if (summary)
                {
                    Summaries++;
                }
                else
                {
                    (Answers, LastAnswerPromptTokens) = (Answers + 1, prompt);
                }
            }

            if (prompt + maxTokens > Window)
            {
                await Respond.Json($$$"""{"error":{"message":"This model's maximum context length is {{{Window}}} tokens.","type":"BadRequestError","code":400}}""", 400)(context);
                return;
            }

            var text = summary ? "The user tracks orders, invoices and pallets per warehouse; the assistant checked each." : "Checked: the invoice matches the delivery note and the pallet count.";
            await Respond.Json($$$"""
                {"id":"c","object":"chat.completion","created":1,"model":"m",
                 "choices":[{"index":0,"message":{"role":"assistant","content":"{{{text}}}"},"finish_reason":"stop"}],
                 "usage":{"prompt_tokens":{{{prompt}}},"completion_tokens":20,"total_tokens":{{{prompt + 20}}}}}
                """)(context);
        }
    }
}
