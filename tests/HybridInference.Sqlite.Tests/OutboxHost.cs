using System.Collections.Concurrent;
using HybridInference.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace HybridInference.Sqlite.Tests;

/// <summary>
/// One process of an app with the SQLite outbox: the hybrid client over fake backends (the cloud can be switched
/// off), the outbox's hosted worker started, a listener that keeps every refinement outcome, logs and a fake clock.
/// Two hosts on the same file are a process and the one that replaces it after a restart.
/// </summary>
internal sealed class OutboxHost : IAsyncDisposable
{
    private readonly List<IHostedService> _hosted;

    private OutboxHost(ServiceProvider provider, FakeTimeProvider time, CloudStandIn cloud, FakeLoggerProvider logs)
    {
        Provider = provider;
        Time = time;
        Cloud = cloud;
        Logs = logs;
        Chat = provider.GetRequiredService<IChatClient>();
        Status = provider.GetRequiredService<IHybridInferenceStatus>();
        Listener = (OutcomeListener)provider.GetRequiredService<IRefinementListener>();
        _hosted = [.. provider.GetServices<IHostedService>()];
    }

    public ServiceProvider Provider { get; }

    public IChatClient Chat { get; }

    public IHybridInferenceStatus Status { get; }

    public OutcomeListener Listener { get; }

    public FakeTimeProvider Time { get; }

    public CloudStandIn Cloud { get; }

    public FakeLoggerProvider Logs { get; }

    public static async Task<OutboxHost> StartAsync(string databasePath, FakeTimeProvider time, CloudStandIn cloud, string outboxSettings = "", string refinementSettings = "")
    {
        var json = $$"""
            {
              "HybridInference": {
                "Local": { "Backends": [ { "Name": "local", "Provider": "vllm", "Model": "local-model" } ] },
                "Cloud": { "Backends": [ { "Name": "cloud", "Provider": "openai", "Model": "cloud-model" } ] },
                "Pricing": { "cloud-model": { "InputPerMillionTokens": 10.0, "OutputPerMillionTokens": 30.0 } },
                "Refinement": {
                  {{refinementSettings}}
                  "Outbox": {
                    {{outboxSettings}}
                    "PollInterval": "00:00:01",
                    "Sqlite": { "DatabasePath": "{{databasePath.Replace("\\", "/", StringComparison.Ordinal)}}" }
                  }
                }
              }
            }
            """;
        var configuration = JsonSettings.Parse(json);
        var local = new FakeChatClient("local-model") { TimeProvider = time, DefaultReply = r => "draft of " + r.LastUserText };
        var logs = new FakeLoggerProvider();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Debug).AddProvider(logs));
        services.AddSingleton<IRefinementListener, OutcomeListener>();
        services.AddHybridInference(configuration.GetSection("HybridInference"))
            .AddLocalBackend("local", _ => local)
            .AddCloudBackend("cloud", _ => cloud.Client(time))
            .AddSqliteOutbox(configuration.GetSection("HybridInference:Refinement:Outbox:Sqlite"));
        var host = new OutboxHost(services.BuildServiceProvider(), time, cloud, logs);
        foreach (var hosted in host._hosted)
        {
            await hosted.StartAsync(CancellationToken.None);
        }

        return host;
    }

    /// <summary>Asks for a drafted answer with a refinement; returns the handle.</summary>
    public async Task<RefinementHandle> DraftAsync(string prompt)
    {
        var response = await Chat.GetResponseAsync(prompt, new ChatOptions().WithRefinement());
        Assert.Equal("draft of " + prompt, response.Text);
        return response.GetRefinement() ?? throw new InvalidOperationException("The response has no refinement handle.");
    }

    /// <summary>Moves the fake clock on in steps, giving the worker's pass time to run after each.</summary>
    public async Task AdvanceAsync(TimeSpan total, TimeSpan step)
    {
        for (var moved = TimeSpan.Zero; moved < total; moved += step)
        {
            Time.Advance(step);
            await Task.Delay(3);
        }
    }

    /// <summary>Moves the clock on one poll interval at a time until <paramref name="done"/> holds.</summary>
    public async Task<bool> AdvanceUntilAsync(Func<bool> done)
    {
        for (var i = 0; i < 1000; i++)
        {
            if (done())
            {
                return true;
            }

            Time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(10);
        }

        return done();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var hosted in _hosted)
        {
            await hosted.StopAsync(CancellationToken.None);
        }

        await Provider.DisposeAsync();
        SqliteConnection.ClearAllPools();
    }

    /// <summary>Keeps every refinement outcome it hears of.</summary>
    internal sealed class OutcomeListener : IRefinementListener
    {
        private readonly ConcurrentQueue<RefinementOutcome> _outcomes = new();

        public IReadOnlyList<RefinementOutcome> Outcomes => [.. _outcomes];

        public void OnRefinementFinished(RefinementOutcome outcome) => _outcomes.Enqueue(outcome);
    }
}

/// <summary>
/// The cloud, as both processes see it: answers a refinement with "refined: " and the draft (deferred work with "answer
/// to " and its prompt), or fails as an unreachable server while it is off; counts the answered calls by their prompt.
/// </summary>
internal sealed class CloudStandIn
{
    private readonly ConcurrentDictionary<string, int> _answered = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _order = new();
    private volatile bool _off;

    public bool Off { get => _off; set => _off = value; }

    /// <summary>Gets how many times each prompt's refinement was answered.</summary>
    public IReadOnlyDictionary<string, int> Answered => _answered;

    /// <summary>Gets the refined prompts in the order they were answered.</summary>
    public IReadOnlyList<string> Order => [.. _order];

    public long FailedCalls;

    /// <summary>Gets the instructions of every answered call, in order.</summary>
    public ConcurrentQueue<string?> Instructions { get; } = new();

    public FakeChatClient Client(TimeProvider time) => new("cloud-model")
    {
        TimeProvider = time,
        DefaultReply = request =>
        {
            if (_off)
            {
                Interlocked.Increment(ref FailedCalls);
                throw new HttpRequestException("Connection refused (127.0.0.1:1)", null, System.Net.HttpStatusCode.ServiceUnavailable);
            }

            var prompt = request.Messages[0].Text;
            _answered.AddOrUpdate(prompt, 1, static (_, n) => n + 1);
            _order.Enqueue(prompt);
            Instructions.Enqueue(request.Options?.Instructions);

            // A refinement ends with the draft and the instruction; deferred work is the request itself.
            return request.Messages.Count >= 3 ? "refined: " + request.Messages[^2].Text : "answer to " + prompt;
        },
    };
}
