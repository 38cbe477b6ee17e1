using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HybridInference.OpenAI.Tests;

/// <summary>
/// Sentinels through the whole chain over HTTP, failures included: the API key appears in no log line, exception or
/// span; the prompt appears in no log line or span, even when a server echoes it in an error.
/// </summary>
public sealed class SecretsTests
{
    private const string Key = "sk-SENTINEL-5f1e2d3c4b5a";

    private sealed class CapturingLoggerProvider : ILoggerProvider
    {
        public ConcurrentQueue<string> Lines { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull
            {
                owner.Lines.Enqueue($"{category} scope: {state}");
                return null;
            }

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var structured = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(", ", pairs.Select(p => $"{p.Key}={p.Value}")) : string.Empty;
                owner.Lines.Enqueue($"{category} {logLevel}: {formatter(state, exception)} [{structured}] {exception}");
            }
        }
    }

    [Fact]
    public async Task SentinelKey_AppearsInNoLogLineExceptionOrSpan()
    {
        await using var local = await LoopbackServer.StartAsync();
        await using var cloud = await LoopbackServer.StartAsync();
        local.Default = Respond.File(Fixture.Path("llamacpp", "error-loading-model.503.json"));
        cloud.Enqueue(Respond.File(Fixture.Path("openai", "chat-completion.json")));
        cloud.Default = Respond.Json("""{"error":{"message":"Incorrect API key provided: KEY","type":"invalid_request_error","code":"invalid_api_key"}}""".Replace("KEY", Key, StringComparison.Ordinal), 401);

        var spans = new ConcurrentQueue<string>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = _ => true,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => spans.Enqueue($"{a.DisplayName} {a.StatusDescription} {string.Join(", ", a.TagObjects.Select(t => $"{t.Key}={t.Value}"))}"),
        };
        ActivitySource.AddActivityListener(listener);

        var json = $$"""
            { "HybridInference": {
                "Local": { "Backends": [ { "Name": "vllm", "Provider": "vllm", "Endpoint": "{{local.V1}}" } ] },
                "Cloud": { "Backends": [ { "Name": "openai", "Provider": "openai", "Endpoint": "{{cloud.V1}}", "Model": "gpt-4o", "ApiKey": "{{Key}}", "AllowInsecureHttp": true } ] } } }
            """;
        var logs = new CapturingLoggerProvider();
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));
        services.AddHybridInference(new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build().GetSection("HybridInference"))
            .AddOpenAIProviders();
        await using var provider = services.BuildServiceProvider();
        var chat = provider.GetRequiredService<IChatClient>();

        var errors = new List<Exception>();
        for (var i = 0; i < 4; i++)
        {
            try
            {
                await chat.GetResponseAsync("Summarize this.", new ChatOptions().WithTaskCategory(i % 2 == 0 ? TaskCategory.Routine : TaskCategory.Complex));
            }
            catch (Exception ex)
            {
                errors.Add(ex);
            }
        }

        Assert.Contains(cloud.Requests, r => r.Header("Authorization") == $"Bearer {Key}"); // The key was really used...
        Assert.NotEmpty(errors);
        Assert.NotEmpty(logs.Lines);
        Assert.NotEmpty(spans);
        Assert.DoesNotContain(logs.Lines, l => l.Contains(Key, StringComparison.Ordinal)); // ...and shows nowhere.
        Assert.DoesNotContain(errors, e => e.ToString().Contains(Key, StringComparison.Ordinal));
        Assert.DoesNotContain(spans, s => s.Contains(Key, StringComparison.Ordinal));
    }

    [Fact]
    public async Task SentinelPrompt_EchoedByAServerError_AppearsInNoLogLineOrSpan()
    {
        const string Prompt = "PROMPT-SENTINEL-9b8a7c";
        await using var local = await LoopbackServer.StartAsync();
        await using var cloud = await LoopbackServer.StartAsync();
        local.Default = Respond.Json("{\"error\":{\"message\":\"[{'type': 'literal_error', 'input': '" + Prompt + "'}]\",\"type\":\"Bad Request\",\"code\":400}}", 400);
        cloud.Default = Respond.File(Fixture.Path("openai", "chat-completion.json"));
        var spans = new ConcurrentQueue<string>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = _ => true,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => spans.Enqueue($"{a.DisplayName} {a.StatusDescription} {string.Join(", ", a.TagObjects.Select(t => $"{t.Key}={t.Value}"))}"),
        };
        ActivitySource.AddActivityListener(listener);
        var json = $$"""
            { "HybridInference": {
                "Local": { "Backends": [ { "Name": "vllm", "Provider": "vllm", "Endpoint": "{{local.V1}}" } ] },
                "Cloud": { "Backends": [ { "Name": "openai", "Provider": "openai", "Endpoint": "{{cloud.V1}}", "Model": "gpt-4o", "ApiKey": "sk-x", "AllowInsecureHttp": true } ] } } }
            """;
        var logs = new CapturingLoggerProvider();
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));
        services.AddHybridInference(new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build().GetSection("HybridInference"))
            .AddOpenAIProviders();
        await using var provider = services.BuildServiceProvider();

        var response = await provider.GetRequiredService<IChatClient>().GetResponseAsync(Prompt);

        Assert.Equal(EscalationReason.LocalError, response.GetRouteOutcome()!.EscalationReason);
        Assert.Contains(logs.Lines, l => l.Contains("Escalating", StringComparison.Ordinal) && l.Contains("BadRequest 400", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Lines, l => l.Contains(Prompt, StringComparison.Ordinal));
        Assert.DoesNotContain(spans, s => s.Contains(Prompt, StringComparison.Ordinal));
    }
}
