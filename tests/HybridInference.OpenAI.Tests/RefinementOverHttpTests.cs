using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;

namespace HybridInference.OpenAI.Tests;

/// <summary>
/// "Local first pass, cloud refinement" over real HTTP: a local and a cloud server on 127.0.0.1, the chain from
/// configuration, the outbox's hosted worker running on the system clock.
/// </summary>
public sealed class RefinementOverHttpTests : IAsyncLifetime
{
    private readonly ConcurrentQueue<RefinementOutcome> _heard = new();
    private LoopbackServer _local = null!;
    private LoopbackServer _cloud = null!;
    private HostedChain _chain = null!;

    public async Task InitializeAsync()
    {
        _local = await LoopbackServer.StartAsync();
        _local.ProbesApart = true;
        _cloud = await LoopbackServer.StartAsync();
        _cloud.ProbesApart = true;
        _local.Default = Respond.Json(Fixture.Completion("vllm", "Fresh bread, every morning."));
        _cloud.Default = Respond.Json(Fixture.Completion("openai", "Baked at dawn, gone by noon."));
        var json = $$"""
            {
              "HybridInference": {
                "Local": { "Backends": [ { "Name": "vllm", "Provider": "vllm", "Endpoint": "{{_local.V1}}", "Model": "Qwen/Qwen2.5-7B-Instruct", "ContextWindow": 8192 } ] },
                "Cloud": { "Backends": [ { "Name": "openai", "Provider": "openai", "Endpoint": "{{_cloud.V1}}", "Model": "gpt-4o", "ApiKey": "sk-test", "AllowInsecureHttp": true } ] },
                "Pricing": { "gpt-4o": { "InputPerMillionTokens": 2.5, "OutputPerMillionTokens": 10 } },
                "Refinement": { "Instruction": "Make the draft sing.", "Outbox": { "PollInterval": "00:00:00.050" } }
              }
            }
            """;
        _chain = await HostedChain.StartAsync(json, services => services.AddSingleton<IRefinementListener>(new Listener(_heard)));
    }

    public async Task DisposeAsync()
    {
        await _chain.DisposeAsync();
        await _local.DisposeAsync();
        await _cloud.DisposeAsync();
    }

    [Fact]
    public async Task WithRefinement_LocalDraftAtOnce_CloudRefinementReachesTheHandleAndTheListener()
    {
        var response = await _chain.Chat.GetResponseAsync("Write a tagline for a bakery.", new ChatOptions().WithRefinement());

        Assert.Equal("Fresh bread, every morning.", response.Text);
        Assert.Equal(BackendLane.Local, response.GetRouteOutcome()!.Target);
        var handle = Assert.IsType<RefinementHandle>(response.GetRefinement());
        var refined = await handle.Completion.WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal((RefinementStatus.Delivered, "Baked at dawn, gone by noon."), (refined.Status, refined.Response!.Text));
        Assert.Equal(("Fresh bread, every morning.", handle.RequestId), (refined.Draft, refined.RequestId));
        Assert.True(refined.RefinementCostUsd > 0, "the refinement has no cost");
        var heard = Assert.Single(_heard);
        Assert.Same(refined, heard);

        // The cloud was sent the prompt, the draft and the configured instruction, in that order.
        var body = Assert.Single(_cloud.Requests, r => r.Path.EndsWith("/chat/completions", StringComparison.Ordinal)).Body;
        var prompt = body.IndexOf("Write a tagline for a bakery.", StringComparison.Ordinal);
        var draft = body.IndexOf("Fresh bread, every morning.", StringComparison.Ordinal);
        var instruction = body.IndexOf("Make the draft sing.", StringComparison.Ordinal);
        Assert.True(prompt >= 0 && prompt < draft && draft < instruction, body);
    }

    [Fact]
    public async Task WithRefinement_Streaming_HandleOnTheLastUpdate_RefinementDelivered()
    {
        _local.Default = Respond.Sse(Fixture.Read("vllm", "chat-completion-stream.sse"));
        RefinementHandle? handle = null;
        var text = new System.Text.StringBuilder();
        await foreach (var update in _chain.Chat.GetStreamingResponseAsync("Write a tagline for a bakery.", new ChatOptions().WithRefinement()))
        {
            text.Append(update.Text);
            handle ??= update.GetRefinement();
        }

        Assert.NotNull(handle);
        var refined = await handle.Completion.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(RefinementStatus.Delivered, refined.Status);
        Assert.Equal(text.ToString(), refined.Draft);
        Assert.Equal(refined.RequestId, Assert.Single(_heard).RequestId);
    }

    [Fact]
    public async Task WithoutRefinement_NothingIsQueued_NoHandle()
    {
        var response = await _chain.Chat.GetResponseAsync("Write a tagline for a bakery.");

        Assert.Null(response.GetRefinement());
        var outbox = _chain.Services.GetRequiredService<IHybridInferenceStatus>().GetStatus().Outbox!;
        Assert.Equal((false, 0L, 0L), (outbox.Durable, outbox.Waiting, outbox.Delivered)); // queued synchronously: nothing was
        Assert.DoesNotContain(_cloud.Requests, r => r.Path.EndsWith("/chat/completions", StringComparison.Ordinal));
        Assert.Empty(_heard);
    }

    private sealed class Listener(ConcurrentQueue<RefinementOutcome> heard) : IRefinementListener
    {
        public void OnRefinementFinished(RefinementOutcome outcome) => heard.Enqueue(outcome);
    }
}
