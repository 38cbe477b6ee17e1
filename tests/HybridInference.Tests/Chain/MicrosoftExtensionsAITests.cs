using System.Collections.Concurrent;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using static HybridInference.Tests.Chain.Requests;

namespace HybridInference.Tests.Chain;

/// <summary>
/// The hybrid client inside Microsoft.Extensions.AI: the chain built by hand with the public <c>Use...</c> methods is
/// the DI one, user middleware goes around the chain, inside a lane or around a backend, the outcome survives caching
/// and function invocation, and Microsoft's structured output gets validation, retry and escalation.
/// </summary>
public sealed class MicrosoftExtensionsAITests
{
    private sealed record Person(string Name, int Age);

    private static ServiceProvider Build(FakeChatClient local, FakeChatClient cloud, Action<HybridInferenceBuilder>? configure = null, Action<IServiceCollection>? after = null)
    {
        var configuration = JsonSettings.Parse(HybridHost.DefaultJson);
        var services = new ServiceCollection();
        var builder = services.AddHybridInference(configuration.GetSection("HybridInference"))
            .AddLocalBackend("local", _ => local)
            .AddCloudBackend("cloud", _ => cloud);
        configure?.Invoke(builder);
        after?.Invoke(services);
        return services.BuildServiceProvider();
    }

    [Fact]
    public async Task HandBuiltChain_WithThePublicUseMethods_ReportsACompleteOutcome()
    {
        var local = new FakeChatClient("local-model").Reply("not json", inputTokens: 20, outputTokens: 5).Reply(ValidPerson, inputTokens: 30, outputTokens: 8);
        var cloud = new FakeChatClient("cloud-model");
        var options = new HybridInferenceOptions { Pricing = { ["cloud-model"] = new ModelPrice { InputPerMillionTokens = 10, OutputPerMillionTokens = 30 } } };
        options.Cloud.Backends.Add(new BackendOptions { Name = "cloud", Model = "cloud-model" });

        IChatClient cloudLane = new ChatClientBuilder(new BackendPoolBuilder(BackendLane.Cloud, options).AddBackend(new BackendOptions { Name = "cloud", Model = "cloud-model" }, cloud).Build())
            .UsePiiRedaction()
            .UseCloudBudget(options.Cloud)
            .UseCircuitBreaker(options.Routing, BackendLane.Cloud)
            .UseJsonValidation(BackendLane.Cloud)
            .Build();
        IChatClient localLane = new ChatClientBuilder(new BackendPoolBuilder(BackendLane.Local, options).AddBackend(new BackendOptions { Name = "vllm", Model = "local-model" }, local).Build())
            .UseSchemaValidatingFallback(cloudLane)
            .UseCircuitBreaker(options.Routing)
            .UseJsonValidation()
            .Build();
        using IChatClient chat = new ChatClientBuilder(localLane)
            .UseCostMeter()
            .UseTaskClassifier()
            .UseHybridRouter(cloudLane)
            .Build();

        var response = await chat.GetResponseAsync(User("Extract the person."), Json());

        var outcome = response.GetRouteOutcome()!;
        Assert.Equal(ValidPerson, response.Text);
        Assert.Equal(("vllm", "local-model", BackendLane.Local, 2, 1), (outcome.Backend, outcome.Model, outcome.Target, outcome.Attempts, outcome.ValidationFailures));
        Assert.Equal((50L, 13L), (outcome.InputTokens, outcome.OutputTokens));
        // The baseline prices the answer on the cloud model's counts (here, with no tokenizer, the estimate), not the local usage.
        var input = outcome.CloudBaselineInputTokens;
        var output = HybridInference.Tokens.HeuristicTokenCounter.CountText(ValidPerson);
        Assert.Equal((output, false), (outcome.CloudBaselineOutputTokens, outcome.CloudBaselineTokensExact));
        Assert.True(input > 0);
        Assert.Equal(((input * 10.0) + (output * 30.0)) / 1_000_000, outcome.CloudBaselineCostUsd, 12);
        Assert.Empty(cloud.Requests);
    }

    [Fact]
    public async Task ConfigureChat_FunctionInvocation_FinalResponseCarriesEveryTurnAndTheirSum()
    {
        var cloud = new FakeChatClient("cloud-model");
        var calls = 0;
        var tool = AIFunctionFactory.Create(() => { calls++; return "sunny"; }, "weather");
        var toolCalling = new ToolCallingClient();
        var configuration = JsonSettings.Parse(HybridHost.DefaultJson);
        var collection = new ServiceCollection();
        collection.AddHybridInference(configuration.GetSection("HybridInference"))
            .AddLocalBackend("local", _ => toolCalling)
            .AddCloudBackend("cloud", _ => cloud)
            .ConfigureChat(chat => chat.UseFunctionInvocation());
        using var provider = collection.BuildServiceProvider();
        var client = provider.GetRequiredService<IChatClient>();

        var response = await client.GetResponseAsync(User("What is the weather?"), new ChatOptions { Tools = [tool] }.WithTaskCategory(TaskCategory.Routine));

        var outcome = response.GetRouteOutcome()!;
        Assert.Equal(1, calls);
        Assert.Equal("It is sunny.", response.Text);
        Assert.Equal(2, outcome.Turns.Count);
        Assert.All(outcome.Turns, turn => Assert.Equal(1, turn.Attempts));
        Assert.Equal(2, outcome.Attempts);
        Assert.Equal(outcome.Turns[0].InputTokens + outcome.Turns[1].InputTokens, outcome.InputTokens);
        Assert.Equal("local", outcome.Backend);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task ConfigureChat_StreamedFunctionInvocation_GatheredResponseCarriesEveryTurnAndTheirSum(int toolTurns)
    {
        var cloud = new FakeChatClient("cloud-model");
        var calls = 0;
        var tool = AIFunctionFactory.Create(() => { calls++; return "sunny"; }, "weather");
        var configuration = JsonSettings.Parse(HybridHost.DefaultJson);
        var collection = new ServiceCollection();
        collection.AddHybridInference(configuration.GetSection("HybridInference"))
            .AddLocalBackend("local", _ => new ToolCallingClient(toolTurns))
            .AddCloudBackend("cloud", _ => cloud)
            .ConfigureChat(chat => chat.UseFunctionInvocation());
        using var provider = collection.BuildServiceProvider();
        var client = provider.GetRequiredService<IChatClient>();

        var updates = await ToListAsync(client.GetStreamingResponseAsync(User("What is the weather?"), new ChatOptions { Tools = [tool] }.WithTaskCategory(TaskCategory.Routine)));
        var response = updates.ToChatResponse();

        var outcome = response.GetRouteOutcome()!;
        Assert.Equal(toolTurns, calls);
        Assert.EndsWith("It is sunny.", response.Text, StringComparison.Ordinal);
        Assert.Equal(toolTurns + 1, outcome.Turns.Count);
        Assert.All(outcome.Turns, turn => Assert.Equal(1, turn.Attempts));
        Assert.Equal(toolTurns + 1, outcome.Attempts);
        Assert.Equal(outcome.Turns.Sum(t => t.InputTokens), outcome.InputTokens);
        Assert.Equal((11L * toolTurns) + 17, outcome.InputTokens);
        Assert.Empty(cloud.Requests);
    }

    [Fact]
    public async Task ConfigureChat_DistributedCache_AHitSaysItCameFromTheCache_NoBackendNoCost()
    {
        var local = new FakeChatClient("local-model").Reply("local answer", inputTokens: 40, outputTokens: 10);
        var cloud = new FakeChatClient("cloud-model");
        var cache = new DictionaryCache();
        using var services = Build(local, cloud, hybrid => hybrid.ConfigureChat(chat => chat.UseDistributedCache(cache)));
        var chat = services.GetRequiredService<IChatClient>();

        var first = await chat.GetResponseAsync(User("Summarize the ticket."));
        var second = await chat.GetResponseAsync(User("Summarize the ticket."));

        Assert.Single(local.Requests);
        Assert.False(first.GetRouteOutcome()!.ServedFromCache);
        Assert.Equal(1, first.GetRouteOutcome()!.Attempts);
        var hit = second.GetRouteOutcome()!;
        Assert.True(hit.ServedFromCache);
        Assert.Equal(("(cache)", 0, 0L, 0L, 0d), (hit.Backend, hit.Attempts, hit.InputTokens, hit.OutputTokens, hit.CostUsd));
        Assert.Equal(TaskCategory.Routine, hit.Category);
    }

    [Fact]
    public async Task ConfigureChat_DistributedCache_AStreamedHitSaysItCameFromTheCache()
    {
        var local = new FakeChatClient("local-model").ReplyInChunks("local ", "answer");
        var cloud = new FakeChatClient("cloud-model");
        var cache = new DictionaryCache();
        using var services = Build(local, cloud, hybrid => hybrid.ConfigureChat(chat => chat.UseDistributedCache(cache)));
        var chat = services.GetRequiredService<IChatClient>();

        var first = await ToListAsync(chat.GetStreamingResponseAsync(User("Summarize the ticket.")));
        var second = await ToListAsync(chat.GetStreamingResponseAsync(User("Summarize the ticket.")));

        Assert.Single(local.Requests);
        Assert.False(first[^1].GetRouteOutcome()!.ServedFromCache);
        var hit = second.Select(u => u.GetRouteOutcome()).Last(o => o is not null)!;
        Assert.True(hit.ServedFromCache);
        Assert.Equal(("(cache)", 0, 0d), (hit.Backend, hit.Attempts, hit.CostUsd));
        Assert.Equal("local answer", second.ToChatResponse().Text);
    }

    [Fact]
    public async Task ConfigureLane_SeesEveryAttemptOfTheLane_RetryIncluded()
    {
        var local = new FakeChatClient("local-model").Reply("not json").Reply(ValidPerson);
        var cloud = new FakeChatClient("cloud-model");
        var localCalls = 0;
        var cloudCalls = 0;
        using var services = Build(local, cloud, hybrid => hybrid
            .ConfigureLane(BackendLane.Local, lane => lane.Use((messages, options, next, token) => { localCalls++; return next(messages, options, token); }))
            .ConfigureLane(BackendLane.Cloud, lane => lane.Use((messages, options, next, token) => { cloudCalls++; return next(messages, options, token); })));
        var chat = services.GetRequiredService<IChatClient>();

        var response = await chat.GetResponseAsync(User("Extract the person."), Json());

        Assert.Equal(ValidPerson, response.Text);
        Assert.Equal((2, 0), (localCalls, cloudCalls));
    }

    [Fact]
    public async Task ConfigureBackend_WrapsThatBackendOnly()
    {
        var local = new FakeChatClient("local-model").Reply("local");
        var cloud = new FakeChatClient("cloud-model").Reply("cloud");
        var seen = new List<string>();
        using var services = Build(local, cloud, hybrid => hybrid.ConfigureBackend("CLOUD", backend => backend.Use((messages, options, next, token) => { seen.Add("cloud"); return next(messages, options, token); })));
        var chat = services.GetRequiredService<IChatClient>();

        await chat.GetResponseAsync(User("Summarize."));
        await chat.GetResponseAsync(User("Explain the root cause step by step."), new ChatOptions().WithTaskCategory(TaskCategory.Complex));

        Assert.Equal(["cloud"], seen);
    }

    [Fact]
    public void ConfigureBackend_UnknownName_FailsNamingItAndTheBackends()
    {
        using var services = Build(new FakeChatClient("l"), new FakeChatClient("c"), hybrid => hybrid.ConfigureBackend("vlm", _ => { }));

        var error = Assert.Throws<InvalidOperationException>(() => services.GetRequiredService<IChatClient>());

        Assert.Contains("'vlm'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'local', 'cloud'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddChatClient_OverTheKeyedHybridClient_NoCircularDependency_OutcomeKept()
    {
        var wrapped = 0;
        using var services = Build(new FakeChatClient("local-model").Reply("local"), new FakeChatClient("c"), after: collection => collection
            .AddChatClient(sp => sp.GetRequiredKeyedService<IChatClient>(HybridInferenceServiceCollectionExtensions.ChatClientKey))
            .Use((messages, options, next, token) => { wrapped++; return next(messages, options, token); }));
        var chat = services.GetRequiredService<IChatClient>();

        var response = await chat.GetResponseAsync(User("Summarize."));

        Assert.Equal(1, wrapped);
        Assert.NotNull(response.GetRouteOutcome());
    }

    [Fact]
    public async Task AddChatClient_BeforeAddHybridInference_KeepsTheAppsClient_HybridStaysReachableByItsKey()
    {
        var mine = new FakeChatClient("mine").Reply("mine");
        var local = new FakeChatClient("local-model").Reply("local");
        var configuration = JsonSettings.Parse(HybridHost.DefaultJson);
        var collection = new ServiceCollection();
        collection.AddChatClient(mine);
        collection.AddHybridInference(configuration.GetSection("HybridInference")).AddLocalBackend("local", _ => local).AddCloudBackend("cloud", _ => new FakeChatClient("c"));
        using var services = collection.BuildServiceProvider();

        var unkeyed = await services.GetRequiredService<IChatClient>().GetResponseAsync(User("Summarize."));
        var hybrid = await services.GetRequiredKeyedService<IChatClient>(HybridInferenceServiceCollectionExtensions.ChatClientKey).GetResponseAsync(User("Summarize."));

        Assert.Equal(("mine", "local"), (unkeyed.Text, hybrid.Text));
        Assert.Null(unkeyed.GetRouteOutcome());
        Assert.Equal("local", hybrid.GetRouteOutcome()!.Backend);
    }

    [Fact]
    public void HybridClient_AnswersChatClientMetadata_AsItself()
    {
        using var services = Build(new FakeChatClient("local-model"), new FakeChatClient("cloud-model"));

        var metadata = services.GetRequiredService<IChatClient>().GetService<ChatClientMetadata>();

        Assert.Equal("hybrid-inference", metadata!.ProviderName);
        Assert.Equal("local-model", metadata.DefaultModelId);
    }

    [Fact]
    public async Task MicrosoftStructuredOutput_InvalidLocalAnswer_IsRetriedThenTyped()
    {
        var local = new FakeChatClient("local-model").Reply("Sure! Here it is: not json").Reply("""{"name":"Ada","age":36}""");
        var cloud = new FakeChatClient("cloud-model");
        using var services = Build(local, cloud);
        var chat = services.GetRequiredService<IChatClient>();

        ChatResponse<Person> typed = await chat.GetResponseAsync<Person>("Extract the person: 'Ada Lovelace, 36'");

        Assert.Equal(new Person("Ada", 36), typed.Result);
        Assert.Equal((2, 1, false), (typed.GetRouteOutcome()!.Attempts, typed.GetRouteOutcome()!.ValidationFailures, typed.GetRouteOutcome()!.Escalated));
        Assert.Contains("schema", local.Requests[1].Messages[^1].Text, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(cloud.Requests);
    }

    [Fact]
    public async Task MicrosoftStructuredOutput_LocalKeepsFailing_EscalatesToTheCloud()
    {
        var local = new FakeChatClient("local-model").Reply("no").Reply("still no");
        var cloud = new FakeChatClient("cloud-model").Reply("""{"name":"Ada","age":36}""");
        using var services = Build(local, cloud);
        var chat = services.GetRequiredService<IChatClient>();

        var typed = await chat.GetResponseAsync<Person>("Extract the person: 'Ada Lovelace, 36'");

        Assert.Equal(36, typed.Result.Age);
        Assert.Equal((EscalationReason.ValidationFailed, "cloud"), (typed.GetRouteOutcome()!.EscalationReason, typed.GetRouteOutcome()!.Backend));
    }

    /// <summary>A local model that asks for the weather tool, then answers with its result.</summary>
    /// <summary>A model that asks for the weather tool <c>toolTurns</c> times, then answers with its result.</summary>
    private sealed class ToolCallingClient(int toolTurns = 1) : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var results = messages.SelectMany(m => m.Contents).OfType<FunctionResultContent>().ToList();
            var result = results.Count < toolTurns ? null : results[^1];
            var message = result is null
                ? new ChatMessage(ChatRole.Assistant, [new FunctionCallContent($"call-{results.Count + 1}", "weather")])
                : new ChatMessage(ChatRole.Assistant, $"It is {result.Result}.");
            return Task.FromResult(new ChatResponse(message) { Usage = new UsageDetails { InputTokenCount = result is null ? 11 : 17, OutputTokenCount = 3 } });
        }

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            foreach (var update in (await GetResponseAsync(messages, options, cancellationToken)).ToChatResponseUpdates())
            {
                yield return update;
            }
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }

    /// <summary>An in-memory <see cref="IDistributedCache"/>.</summary>
    private sealed class DictionaryCache : IDistributedCache
    {
        private readonly ConcurrentDictionary<string, byte[]> _entries = new();

        public byte[]? Get(string key) => _entries.TryGetValue(key, out var value) ? value : null;

        public Task<byte[]?> GetAsync(string key, CancellationToken token = default) => Task.FromResult(Get(key));

        public void Refresh(string key)
        {
        }

        public Task RefreshAsync(string key, CancellationToken token = default) => Task.CompletedTask;

        public void Remove(string key) => _entries.TryRemove(key, out _);

        public Task RemoveAsync(string key, CancellationToken token = default)
        {
            Remove(key);
            return Task.CompletedTask;
        }

        public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => _entries[key] = value;

        public Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
        {
            Set(key, value, options);
            return Task.CompletedTask;
        }
    }
}
