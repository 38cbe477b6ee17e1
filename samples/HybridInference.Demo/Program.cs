// The main job: routes a mixed batch through the hybrid chain built by AddHybridInference and prints a report.
using System.Diagnostics;
using HybridInference;
using HybridInference.Demo;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Polly.CircuitBreaker;

const int BatchSize = 200;
const int Concurrency = 8;

var configuration = new ConfigurationBuilder()
    .SetBasePath(AppContext.BaseDirectory)
    .AddJsonFile("appsettings.json")
    .Build();

// In-process stand-ins for a local engine and a cloud API (the embedded default: no server needed).
var localEngine = new SimulatedBackend("mistralai/Mistral-7B-Instruct-v0.2", TimeSpan.FromMilliseconds(40), failureRate: 0.02, malformedJsonRate: 0.25, seed: 7)
{
    Outage = (TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(2.0)), // A half-second outage trips the circuit breaker.
};
var cloudApi = new SimulatedBackend("gpt-4-turbo", TimeSpan.FromMilliseconds(180), failureRate: 0.0, malformedJsonRate: 0.0, seed: 11);

var services = new ServiceCollection();
services.AddLogging(logging => logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning).AddFilter("HybridInference", LogLevel.None));
services.AddHybridInference(configuration.GetSection(HybridInferenceOptions.SectionName))
    .AddLocalBackend("local-engine", _ => localEngine)
    .AddCloudBackend("cloud-api", _ => cloudApi);

await using var provider = services.BuildServiceProvider();
var chat = provider.GetRequiredService<IChatClient>();
var breaker = chat.GetService<CircuitBreakerStateProvider>();

Console.WriteLine("HybridInference demo");
Console.WriteLine("Backends: in-process simulated servers (a local engine and a cloud API with realistic latency,");
Console.WriteLine("usage, malformed JSON and failures). Real HTTP backends come with the HybridInference.OpenAI package.");
Console.WriteLine();

var batch = DemoBatch.Create(BatchSize);
var results = new TaskResult[batch.Count];
var trips = 0;
var lastState = CircuitState.Closed;
var stateGate = new Lock();
var wall = Stopwatch.StartNew();

await Parallel.ForAsync(0, batch.Count, new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, async (i, ct) =>
{
    var task = batch[i];
    var started = Stopwatch.GetTimestamp();
    try
    {
        var response = await chat.GetResponseAsync([new ChatMessage(ChatRole.User, task.Prompt)], task.Options, ct);
        results[i] = new TaskResult(task, response.GetRouteOutcome(), null, Stopwatch.GetElapsedTime(started));
    }
    catch (HybridInferenceException ex)
    {
        results[i] = new TaskResult(task, null, ex, Stopwatch.GetElapsedTime(started));
    }

    lock (stateGate)
    {
        var state = breaker?.CircuitState ?? CircuitState.Closed;
        if (state == CircuitState.Open && lastState != CircuitState.Open)
        {
            trips++;
        }

        lastState = state;
    }
});

Console.WriteLine(Report.Render(results, trips, wall.Elapsed));
