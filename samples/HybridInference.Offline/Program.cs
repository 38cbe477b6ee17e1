// Offline first: local first pass, cloud refinement, with the cloud unplugged for a while. Two stand-in servers on
// 127.0.0.1 play the local engine and the cloud API; the cloud is unplugged (503 to everything) for the first 3 seconds.
// Marketing drafts are answered locally at once all along; their cloud refinements wait in a SQLite outbox and are
// delivered when the cloud comes back. A safety-critical check, which may not be answered by the local model, is marked
// deferrable: it waits in the same outbox and the cloud answers it when it is back. The timeline is printed as it
// happens. No real server is needed.
using System.Diagnostics;
using HybridInference;
using HybridInference.StandIn;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

var clock = Stopwatch.StartNew();
await using var local = await SimulatedServer.StartAsync(new ServerBehaviour("local-7b", TimeSpan.FromMilliseconds(40), 0, 0, Seed: 1));
await using var cloud = await SimulatedServer.StartAsync(new ServerBehaviour("cloud-large", TimeSpan.FromMilliseconds(120), 0, 0, Seed: 2));
var folder = Path.Combine(Path.GetTempPath(), "hybrid-offline-" + Guid.NewGuid().ToString("N"));

var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, DisableDefaults = true });
builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
{
    ["HybridInference:Local:Backends:0:Name"] = "local",
    ["HybridInference:Local:Backends:0:Provider"] = "vllm",
    ["HybridInference:Local:Backends:0:Endpoint"] = local.Endpoint.ToString(),
    ["HybridInference:Local:Backends:0:Model"] = "local-7b",
    ["HybridInference:Cloud:Backends:0:Name"] = "cloud",
    ["HybridInference:Cloud:Backends:0:Provider"] = "openai",
    ["HybridInference:Cloud:Backends:0:Endpoint"] = cloud.Endpoint.ToString(),
    ["HybridInference:Cloud:Backends:0:Model"] = "cloud-large",
    ["HybridInference:Cloud:Backends:0:ApiKey"] = "sk-stand-in",
    ["HybridInference:Cloud:Backends:0:AllowInsecureHttp"] = "true",
    ["HybridInference:Pricing:cloud-large:InputPerMillionTokens"] = "2.5",
    ["HybridInference:Pricing:cloud-large:OutputPerMillionTokens"] = "10",
    ["HybridInference:Routing:BreakDuration"] = "00:00:01",

    // Marketing drafts (Routine) are refined without asking; the outbox looks every 200 ms and retries from 200 ms up.
    ["HybridInference:Refinement:Categories:0"] = "Routine",
    ["HybridInference:Refinement:Instruction"] = "Polish this draft into final marketing copy.",
    ["HybridInference:Refinement:Outbox:PollInterval"] = "00:00:00.200",
    ["HybridInference:Refinement:Outbox:RetryDelay"] = "00:00:00.200",
    ["HybridInference:Refinement:Outbox:MaxRetryDelay"] = "00:00:00.500",
    ["HybridInference:Refinement:Outbox:Sqlite:DatabasePath"] = Path.Combine(folder, "outbox.db"),
});
builder.Services.AddSingleton<IRefinementListener>(new TimelineListener(clock));
builder.Services.AddHybridInference(builder.Configuration.GetSection("HybridInference"))
    .AddOpenAIProviders()
    .AddSqliteOutbox(builder.Configuration.GetSection("HybridInference:Refinement:Outbox:Sqlite"));
using var host = builder.Build();
await host.StartAsync();
var chat = host.Services.GetRequiredService<IChatClient>();
var status = host.Services.GetRequiredService<IHybridInferenceStatus>();
cloud.Unplugged = true;
Console.WriteLine($"{Stamp(clock)} cloud UNPLUGGED; sending a draft every 400 ms for about 5 s");

var handles = new List<RefinementHandle>();
string[] products = ["sourdough loaf", "oat latte", "rye crackers", "plum jam", "seed bread", "cold brew", "honey cake", "rye loaf", "apple tart", "spelt rolls", "fig bar", "chai"];
foreach (var product in products)
{
    if (handles.Count == 7)
    {
        cloud.Unplugged = false;
        Console.WriteLine($"{Stamp(clock)} cloud PLUGGED BACK IN");
    }

    if (handles.Count == 3)
    {
        // Safety-critical work is not answered locally when the cloud is away (Routing:OnCloudUnavailable); deferrable,
        // it waits in the outbox: the response has no answer, only the handle of the cloud's later one.
        var check = await chat.GetResponseAsync(
            "Does our honey cake label list every allergen? Flour, eggs, honey, butter, almonds.",
            new ChatOptions().WithTaskCategory(TaskCategory.SafetyCritical).AsDeferrable());
        handles.Add(check.GetDeferral()!);
        Console.WriteLine($"{Stamp(clock)} check  allergen label  {check.GetRouteOutcome()!.DecisionReason}: no answer yet (\"{check.Text}\"), request {check.GetDeferral()!.RequestId[..8]} waits in the outbox");
    }

    var started = clock.Elapsed;
    var draft = await chat.GetResponseAsync($"Write a one-line ad for our {product}.");
    var outcome = draft.GetRouteOutcome()!;
    handles.Add(draft.GetRefinement()!);
    var outbox = status.GetStatus().Outbox!;
    Console.WriteLine($"{Stamp(clock)} draft  {product,-14} answered by {outcome.Target} in {(clock.Elapsed - started).TotalMilliseconds,4:0} ms, ${outcome.CostUsd:F6}; outbox waiting {outbox.Waiting}");
    await Task.Delay(400);
}

var all = Task.WhenAll(handles.Select(h => h.Completion));
await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(15)));
var final = status.GetStatus().Outbox!;
Console.WriteLine($"{Stamp(clock)} done: {final.Delivered} delivered, {final.Expired} expired, {final.Failed} failed, {final.Waiting} waiting (durable: {final.Durable})");
await host.StopAsync();
Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
Directory.Delete(folder, recursive: true);
return final.Delivered == handles.Count ? 0 : 1;

static string Stamp(Stopwatch clock) => $"+{clock.Elapsed.TotalSeconds,5:0.00}s";

/// <summary>Prints each refinement (and the deferred check) as it ends.</summary>
internal sealed class TimelineListener(Stopwatch clock) : IRefinementListener
{
    public void OnRefinementFinished(RefinementOutcome outcome) => Console.WriteLine(
        $"+{clock.Elapsed.TotalSeconds,5:0.00}s {(outcome.Deferred ? "answer" : "refine")} {outcome.RequestId[..8]}       {outcome.Status} after {outcome.Sends} send(s), waited {(outcome.FinishedAt - outcome.QueuedAt).TotalSeconds:0.0}s, ${outcome.RefinementCostUsd:F6}: {outcome.Response?.Text}");
}
