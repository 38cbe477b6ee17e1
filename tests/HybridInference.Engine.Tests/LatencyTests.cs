using System.ClientModel;
using System.Diagnostics;
using OpenAI;
using OpenAI.Chat;
using Xunit.Abstractions;

namespace HybridInference.Engine.Tests;

/// <summary>
/// First-token and total times of a streamed 16-token answer from the real server, through the whole chain and
/// through the raw OpenAI SDK and a plain <see cref="HttpClient"/> on the same server, in interleaved rounds (so the
/// machine's drift falls on all three alike). The figures go to the test output; the test checks every call answered.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class LatencyTests(EngineFixture engine, ITestOutputHelper output) : SharedServerTest
{
    private protected override EngineFixture Shared => engine;

    private const int Rounds = 20;
    private const int Tokens = 16;

    [Fact]
    public async Task StreamedAnswers_ThroughTheChainAndRaw_AllAnswer_AndTheirTimesAreReported()
    {
        await using var chain = EngineChain.Build(EngineChain.Settings(engine.Server, engine.Cloud));
        var sdk = new global::OpenAI.Chat.ChatClient("tiny-llama", new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = engine.Server.V1 });
        var ways = new (string Name, Func<string, Task<(TimeSpan First, TimeSpan Total, int Chunks)>> Run)[]
        {
            ("chain (AddHybridInference)", prompt => ChainAsync(chain.Chat, prompt)),
            ("OpenAI SDK ChatClient", prompt => SdkAsync(sdk, prompt)),
            ("HttpClient, SSE read by hand", prompt => HttpAsync(prompt)),
        };
        var times = ways.ToDictionary(w => w.Name, _ => new List<(TimeSpan First, TimeSpan Total)>());

        for (var round = -3; round < Rounds; round++) // three rounds to warm up
        {
            foreach (var (name, run) in round % 2 == 0 ? ways : ways.Reverse())
            {
                var (first, total, chunks) = await run($"Round {round}: say something.");
                Assert.True(chunks >= 2, $"{name}: {chunks} text chunks");
                if (round >= 0)
                {
                    times[name].Add((first, total));
                }
            }
        }

        output.WriteLine($"{Rounds} interleaved rounds, streamed, max_tokens {Tokens}, llama-server -np {engine.Server.Slots} -c {engine.Server.Context} (tiny model):");
        foreach (var (name, list) in times)
        {
            output.WriteLine($"{name,-30} first token median {Median(list.Select(t => t.First)):F2} ms, total median {Median(list.Select(t => t.Total)):F2} ms " +
                             $"(p90 {Percentile(list.Select(t => t.Total), 0.9):F2} ms)");
        }
    }

    private static async Task<(TimeSpan, TimeSpan, int)> ChainAsync(IChatClient chat, string prompt)
    {
        var clock = Stopwatch.StartNew();
        TimeSpan? first = null;
        var chunks = 0;
        await foreach (var update in chat.GetStreamingResponseAsync(prompt, new ChatOptions { MaxOutputTokens = Tokens }))
        {
            if (update.Text.Length > 0)
            {
                first ??= clock.Elapsed;
                chunks++;
            }
        }

        return (first ?? clock.Elapsed, clock.Elapsed, chunks);
    }

    private static async Task<(TimeSpan, TimeSpan, int)> SdkAsync(global::OpenAI.Chat.ChatClient sdk, string prompt)
    {
        var clock = Stopwatch.StartNew();
        TimeSpan? first = null;
        var chunks = 0;
        await foreach (var update in sdk.CompleteChatStreamingAsync([new UserChatMessage(prompt)], new ChatCompletionOptions { MaxOutputTokenCount = Tokens }))
        {
            if (update.ContentUpdate.Count > 0 && update.ContentUpdate[0].Text.Length > 0)
            {
                first ??= clock.Elapsed;
                chunks++;
            }
        }

        return (first ?? clock.Elapsed, clock.Elapsed, chunks);
    }

    private async Task<(TimeSpan, TimeSpan, int)> HttpAsync(string prompt)
    {
        var clock = Stopwatch.StartNew();
        TimeSpan? first = null;
        var chunks = 0;
        using var response = await ServerPages.ChatAsync(engine.Server, prompt, Tokens, stream: true);
        response.EnsureSuccessStatusCode();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("data: {", StringComparison.Ordinal) && line.Contains("\"content\":\"", StringComparison.Ordinal))
            {
                first ??= clock.Elapsed;
                chunks++;
            }
        }

        return (first ?? clock.Elapsed, clock.Elapsed, chunks);
    }

    private static double Median(IEnumerable<TimeSpan> values) => Percentile(values, 0.5);

    private static double Percentile(IEnumerable<TimeSpan> values, double p)
    {
        var sorted = values.Select(v => v.TotalMilliseconds).Order().ToArray();
        return sorted[Math.Min(sorted.Length - 1, (int)(sorted.Length * p))];
    }
}
