using System.ClientModel;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenAI;
using OpenAIChat = OpenAI.Chat;

namespace HybridInference.Benchmarks.Http;

/// <summary>
/// The same chat completion from a server on 127.0.0.1, through the raw OpenAI SDK (baseline) and through the whole
/// hybrid chain with its OpenAI-compatible backend. Target: the chain costs at most 3% more time per request.
/// <see cref="BackendClientAlone"/> is the OpenAI-compatible client without the chain, over the same HttpClient as
/// the baseline, to tell the adapter's cost from the chain's. <see cref="MeaiOpenAIClient"/> is Microsoft.Extensions.AI.OpenAI's
/// <c>AsIChatClient()</c> over the same HttpClient, and <see cref="OpenAICloudBackendClient"/> the client the <c>openai</c>
/// cloud provider is made of (that one, SDK retries off, errors mapped): the package against this library's own wire code.
/// </summary>
/// <remarks>The server answers at once with vLLM's wire format, so the figures are the client-side cost of a request.</remarks>
[MemoryDiagnoser]
public class LoopbackHttpBenchmarks
{
    private const string Completion =
        """{"id":"chatcmpl-3f2c9a4e8b7d4c1e9a0b6d5f4e3c2b1a","object":"chat.completion","created":1755000000,"model":"Qwen/Qwen2.5-7B-Instruct","choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How can I help you today?","tool_calls":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"total_tokens":21,"completion_tokens":9}}""";

    private const string Prompt = "Say hello";

    private WebApplication _server = null!;
    private ServiceProvider _services = null!;
    private OpenAIChat.ChatClient _sdk = null!;
    private IChatClient _chain = null!;
    private IChatClient _adapter = null!;
    private IChatClient _meai = null!;
    private IChatClient _cloudBackend = null!;
    private IChatClient _chainSameClient = null!;
    private ServiceProvider _sameClientServices = null!;
    private IChatClient _chainQuietClient = null!;
    private ServiceProvider _quietClientServices = null!;

    private ChatMessage[] _messages = null!;
    private OpenAIChat.ChatMessage[] _sdkMessages = null!;

    [GlobalSetup]
    public void Setup()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _server = builder.Build();
        _server.MapPost("/v1/chat/completions", async context =>
        {
            await context.Request.Body.CopyToAsync(Stream.Null);
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(Completion);
        });
        _server.StartAsync().GetAwaiter().GetResult();
        var endpoint = new Uri(_server.Urls.First() + "/v1");

        var httpClient = new HttpClient();
        _sdk = new OpenAIChat.ChatClient("Qwen/Qwen2.5-7B-Instruct", new ApiKeyCredential("unused"), new OpenAIClientOptions
        {
            Endpoint = endpoint,
            Transport = new System.ClientModel.Primitives.HttpClientPipelineTransport(httpClient),
        });
        _sdkMessages = [OpenAIChat.ChatMessage.CreateUserMessage(Prompt)];
        _adapter = new HybridInference.OpenAI.OpenAICompatibleChatClient(
            new HybridInference.OpenAI.OpenAICompatibleChatClientOptions { Provider = "vllm", Endpoint = endpoint, Model = "Qwen/Qwen2.5-7B-Instruct" }, httpClient);

        _meai = new OpenAIClient(new ApiKeyCredential("unused"), new OpenAIClientOptions
        {
            Endpoint = endpoint,
            Transport = new System.ClientModel.Primitives.HttpClientPipelineTransport(httpClient),
        }).GetChatClient("Qwen/Qwen2.5-7B-Instruct").AsIChatClient();
        _cloudBackend = HybridInference.OpenAI.DependencyInjection.OpenAIBackendClientFactory.CreateOpenAICloud(
            new HybridInference.OpenAI.OpenAICompatibleChatClientOptions { Provider = "openai", Endpoint = endpoint, Model = "Qwen/Qwen2.5-7B-Instruct", ApiKey = "unused", Name = "openai" },
            httpClient,
            probe: null);

        var services = new ServiceCollection();
        services.AddHybridInference(o => o.Local.Backends.Add(new BackendOptions { Name = "vllm", Provider = "vllm", Endpoint = endpoint, Model = "Qwen/Qwen2.5-7B-Instruct" }))
            .AddOpenAIProviders();
        _services = services.BuildServiceProvider();
        _chain = _services.GetRequiredService<IChatClient>();

        // The same chain with its backend registered by code over the HttpClient the other two use: what remains
        // against BackendClientAlone is the chain itself, without IHttpClientFactory's handler pipeline.
        var sameClient = new ServiceCollection();
        sameClient.AddHybridInference(o => o.Local.Backends.Add(new BackendOptions { Name = "vllm", Model = "Qwen/Qwen2.5-7B-Instruct" }))
            .AddLocalBackend("vllm", _ => new HybridInference.OpenAI.OpenAICompatibleChatClient(
                new HybridInference.OpenAI.OpenAICompatibleChatClientOptions { Provider = "vllm", Endpoint = endpoint, Model = "Qwen/Qwen2.5-7B-Instruct" }, httpClient));
        _sameClientServices = sameClient.BuildServiceProvider();
        _chainSameClient = _sameClientServices.GetRequiredService<IChatClient>();
        // The configured chain with IHttpClientFactory's logging handlers removed (an app's choice, one line):
        // what the factory's default pipeline costs.
        var quiet = new ServiceCollection();
        quiet.ConfigureHttpClientDefaults(http => http.RemoveAllLoggers());
        quiet.AddHybridInference(o => o.Local.Backends.Add(new BackendOptions { Name = "vllm", Provider = "vllm", Endpoint = endpoint, Model = "Qwen/Qwen2.5-7B-Instruct" }))
            .AddOpenAIProviders();
        _quietClientServices = quiet.BuildServiceProvider();
        _chainQuietClient = _quietClientServices.GetRequiredService<IChatClient>();
        _messages = [new ChatMessage(ChatRole.User, Prompt)];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _services.Dispose();
        _sameClientServices.Dispose();
        _quietClientServices.Dispose();
        _server.StopAsync().GetAwaiter().GetResult();
    }

    [Benchmark(Baseline = true)]
    public async Task<string> RawOpenAISdk() => (await _sdk.CompleteChatAsync(_sdkMessages)).Value.Content[0].Text;

    [Benchmark]
    public async Task<string> BackendClientAlone() => (await _adapter.GetResponseAsync(_messages)).Text;

    [Benchmark]
    public async Task<string> MeaiOpenAIClient() => (await _meai.GetResponseAsync(_messages)).Text;

    [Benchmark]
    public async Task<string> OpenAICloudBackendClient() => (await _cloudBackend.GetResponseAsync(_messages)).Text;

    [Benchmark]
    public async Task<string> HybridChain() => (await _chain.GetResponseAsync(_messages)).Text;

    [Benchmark]
    public async Task<string> HybridChainWithoutHttpClientLogging() => (await _chainQuietClient.GetResponseAsync(_messages)).Text;

    [Benchmark]
    public async Task<string> HybridChainSameHttpClient() => (await _chainSameClient.GetResponseAsync(_messages)).Text;
}
