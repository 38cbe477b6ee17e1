// The main job: routes a mixed batch through the hybrid chain built by AddHybridInference, over real HTTP, and
// prints a report. By default it starts two OpenAI-compatible stand-in servers on 127.0.0.1 (a local engine and a
// cloud API); point it at real servers with the options below.
using System.Diagnostics;
using HybridInference;
using HybridInference.Demo;
using HybridInference.StandIn;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Polly.CircuitBreaker;

const int BatchSize = 200;
const int Concurrency = 8;
const string Local = StandInLanes.Local;
const string Cloud = StandInLanes.Cloud;

var switches = new Dictionary<string, string>(StandInLanes.Switches) { ["--local-context-window"] = Local + "ContextWindow" };
var given = new ConfigurationBuilder().AddEnvironmentVariables().AddCommandLine(args, switches).Build();
if (args.Contains("--help"))
{
    Console.WriteLine("Usage: dotnet run --project samples/HybridInference.Demo [-- options]");
    Console.WriteLine("  --local-endpoint URL --local-provider vllm|ollama|llamacpp|tgi|localai|mlx --local-model NAME");
    Console.WriteLine("  --local-context-window TOKENS   the local window for one request; without it, the window the server reports");
    Console.WriteLine("                                  (llama.cpp, vLLM, TGI) once its first health probe has read it");
    Console.WriteLine("  --cloud-endpoint URL --cloud-provider openai|... --cloud-model NAME --cloud-key KEY (or OPENAI_API_KEY)");
    Console.WriteLine("Without endpoints it starts stand-in servers on 127.0.0.1. Example: --local-endpoint http://localhost:11434/v1 --local-provider ollama --local-model llama3.2");
    return;
}

// Stand-in servers for whatever was not given: realistic latency, usage, malformed JSON, failures, one short outage.
await using var standIns = await StandInLanes.StartAsync(
    key => given[key],
    new ServerBehaviour("mistralai/Mistral-7B-Instruct-v0.2", TimeSpan.FromMilliseconds(40), 0.02, 0.25, Seed: 7)
    {
        Outage = (TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(2.0)),
    },
    new ServerBehaviour("gpt-4-turbo", TimeSpan.FromMilliseconds(180), 0.0, 0.0, Seed: 11));

SimulatedServer? coder = null;
if (standIns.LocalServer is not null)
{
    // The stand-in's window, and a limit below it so that the long document goes to the cloud; with a real server
    // the window comes from --local-context-window or from the server, and the limit follows the window.
    standIns.Settings[Local + "ContextWindow"] = "8192";
    standIns.Settings["HybridInference:Routing:LocalContextLimit"] = "4096";

    // Local models by capability: the general model's quantization and capabilities, and a code model on a stand-in of its own, which
    // the code tasks go to (Local:Backends:N:Capabilities, Quantization).
    standIns.Settings[Local + "Quantization"] = "Q4_K_M";
    standIns.Settings[Local + "Capabilities:0"] = "Reasoning";
    standIns.Settings[Local + "Capabilities:1"] = "Tools"; // it serves tool calls, so agent turns stay local
    coder = await SimulatedServer.StartAsync(new ServerBehaviour("Qwen/Qwen2.5-Coder-7B-Instruct", TimeSpan.FromMilliseconds(50), 0.0, 0.0, Seed: 13));
    const string Coder = "HybridInference:Local:Backends:1:";
    standIns.Settings[Coder + "Name"] = "local-coder";
    standIns.Settings[Coder + "Provider"] = "vllm";
    standIns.Settings[Coder + "Endpoint"] = coder.Endpoint.ToString();
    standIns.Settings[Coder + "Model"] = "Qwen/Qwen2.5-Coder-7B-Instruct";
    standIns.Settings[Coder + "ContextWindow"] = "8192";
    standIns.Settings[Coder + "Quantization"] = "Q4_K_M";
    standIns.Settings[Coder + "Capabilities:0"] = "Code";
}

var configuration = standIns.BuildConfiguration(args, switches);

var services = new ServiceCollection();
services.AddHybridInference(configuration.GetSection(HybridInferenceOptions.SectionName)).AddOpenAIProviders()
    .ConfigureChat(builder => builder.UseFunctionInvocation()); // agents: the tools a task offers are called, turn by turn
await using var provider = services.BuildServiceProvider();
var chat = provider.GetRequiredService<IChatClient>();
var breaker = chat.GetService<CircuitBreakerStateProvider>();

Console.WriteLine("HybridInference demo: the hybrid chain over real HTTP");
Console.WriteLine($"  local: {configuration[Local + "Provider"]} at {EndpointText.Show(configuration[Local + "Endpoint"])}{(standIns.LocalServer is null ? string.Empty : " (stand-in server)")}");
Console.WriteLine($"  local window: {await LocalWindowAsync()}");
Console.WriteLine($"  cloud: {configuration[Cloud + "Provider"]} at {EndpointText.Show(configuration[Cloud + "Endpoint"])}{(standIns.CloudServer is null ? string.Empty : " (stand-in server)")}");
Console.WriteLine();

var batch = DemoBatch.Create(BatchSize);
var results = new TaskResult[batch.Count];
var trips = 0;
var lastState = CircuitState.Closed;
var stateGate = new Lock();
var wall = Stopwatch.StartNew();

// The library's own metrics, read the way any metrics pipeline would: JSON extractions and failure reasons.
var counters = new System.Collections.Concurrent.ConcurrentDictionary<string, long>();
using var listener = new System.Diagnostics.Metrics.MeterListener
{
    InstrumentPublished = (instrument, l) =>
    {
        if (instrument.Meter.Name == "HybridInference" && instrument.Name is "hybrid_inference.json_extractions" or "hybrid_inference.validation_failures")
        {
            l.EnableMeasurementEvents(instrument);
        }
    },
};
listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
{
    var key = instrument.Name;
    foreach (var tag in tags)
    {
        if (tag.Key == "reason")
        {
            key += ":" + tag.Value;
        }
    }

    counters.AddOrUpdate(key, value, (_, total) => total + value);
});
listener.Start();

await Parallel.ForAsync(0, batch.Count, new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, async (i, ct) =>
{
    var task = batch[i];
    var started = Stopwatch.GetTimestamp();
    try
    {
        var response = await chat.GetResponseAsync([.. task.Earlier ?? [], new ChatMessage(ChatRole.User, task.Prompt)], task.Options, ct);
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

Console.WriteLine(Report.Render(results, trips, counters, provider.GetRequiredService<IHybridInferenceStatus>().GetStatus(), wall.Elapsed));
if (coder is not null)
{
    await coder.DisposeAsync();
}

// What the local window is: the configured one, and what the server reports on its token-free probe (the chain reads
// the same report at its health probes and uses the smaller of the two).
async Task<string> LocalWindowAsync()
{
    var configured = configuration[Local + "ContextWindow"];
    if (standIns.LocalServer is not null)
    {
        return $"{configured} tokens (stand-in)";
    }

    using var probe = new HybridInference.OpenAI.OpenAICompatibleChatClient(new()
    {
        Provider = configuration[Local + "Provider"] ?? "openai-compatible",
        Endpoint = configuration[Local + "Endpoint"] is { } endpoint ? new Uri(endpoint) : null,
        Model = configuration[Local + "Model"],
        ApiKey = configuration[Local + "ApiKey"],
    });
    var health = await probe.CheckHealthAsync();
    var reported = health.Data.TryGetValue(HealthProbeData.ContextWindow, out var window) ? $"{window} tokens per request reported by the server" : "none reported by the server";
    return configured is null ? reported : $"{configured} tokens configured, {reported}";
}
