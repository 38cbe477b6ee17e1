// One replica of an app that shares its cloud budget (and breaker state) with its other replicas through Redis.
// It sends "complex" requests, which the rules send to the cloud while the cloud budget has room and run locally
// (reason CloudRateLimited) when it has none; the local engine is an in-process fake, the cloud is the OpenAI-compatible
// endpoint given. At the end it prints one line: RESULT sent=.. cloud=.. local=.. failed=..
//
//   dotnet run --project samples/HybridInference.Replicas -- --cloud http://127.0.0.1:PORT/v1 [--redis 127.0.0.1:6379]
//       [--replica NAME] [--requests 700 | --until-stop] [--pace-ms 0] [--rpm 600] [--redis-timeout-ms 10] [--reconnect-ms 1000]
//
// With --until-stop it sends one request every --pace-ms until a line "stop" arrives on standard input.
using HybridInference;
using HybridInference.Testing;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

var arguments = Arguments.Parse(args);
var cloud = arguments.Get("--cloud") ?? throw new ArgumentException("--cloud (the cloud's OpenAI-compatible endpoint, http://127.0.0.1:PORT/v1) is required.");
var redis = arguments.Get("--redis");
var replica = arguments.Get("--replica") ?? $"replica-{Environment.ProcessId}";
var settings = new Dictionary<string, string?>
{
    ["HybridInference:Cloud:RequestsPerMinute"] = arguments.Get("--rpm") ?? "600",
    ["HybridInference:Cloud:RateLimitQueueTime"] = "00:00:00",
    ["HybridInference:Cloud:Backends:0:Name"] = "cloud",
    ["HybridInference:Cloud:Backends:0:Provider"] = "openai",
    ["HybridInference:Cloud:Backends:0:Endpoint"] = cloud,
    ["HybridInference:Cloud:Backends:0:Model"] = "cloud-large",
    ["HybridInference:Cloud:Backends:0:ApiKey"] = "stand-in-key",
    ["HybridInference:Cloud:Backends:0:AllowInsecureHttp"] = "true", // plain HTTP to a stand-in on 127.0.0.1 only
    ["HybridInference:Pricing:cloud-large:InputPerMillionTokens"] = "2.5",
    ["HybridInference:Pricing:cloud-large:OutputPerMillionTokens"] = "10",
};
if (redis is not null)
{
    settings["HybridInference:Redis:Configuration"] = redis;
    settings["HybridInference:Redis:ReplicaId"] = replica;
    settings["HybridInference:Redis:OperationTimeout"] = TimeSpan.FromMilliseconds(int.Parse(arguments.Get("--redis-timeout-ms") ?? "10")).ToString();
    settings["HybridInference:Redis:ReconnectInterval"] = TimeSpan.FromMilliseconds(int.Parse(arguments.Get("--reconnect-ms") ?? "1000")).ToString();
}

var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
var services = new ServiceCollection();
services.AddLogging(logging => logging
    .AddSimpleConsole(o => o.SingleLine = true)
    .SetMinimumLevel(LogLevel.Warning)
    .AddFilter("HybridInference.Redis", LogLevel.Information));
var hybrid = services.AddHybridInference(configuration.GetSection("HybridInference"))
    .AddOpenAIProviders()
    .AddLocalBackend("local", _ => new FakeChatClient("local") { DefaultReply = _ => "answered locally" });
if (redis is not null)
{
    hybrid.AddRedisCoordination(configuration.GetSection("HybridInference:Redis"));
}

await using var provider = services.BuildServiceProvider();
var chat = provider.GetRequiredService<IChatClient>();
var options = new ChatOptions().WithTaskCategory(TaskCategory.Complex);
var pace = TimeSpan.FromMilliseconds(int.Parse(arguments.Get("--pace-ms") ?? "0"));
var untilStop = arguments.Has("--until-stop");
var requests = int.Parse(arguments.Get("--requests") ?? "700");
var stop = untilStop ? Task.Run(() => { while (Console.ReadLine() is { } line && line != "stop") { } }) : null;
Console.WriteLine($"READY {replica}");

int sent = 0, toCloud = 0, toLocal = 0, failed = 0;
while (untilStop ? !stop!.IsCompleted : sent < requests)
{
    sent++;
    try
    {
        var response = await chat.GetResponseAsync($"Request {sent} of {replica}: find the root cause of this deadlock.", options);
        if (response.GetRouteOutcome()?.Target == BackendLane.Cloud)
        {
            toCloud++;
        }
        else
        {
            toLocal++;
        }
    }
    catch (Exception ex)
    {
        failed++;
        Console.WriteLine($"FAILED {ex.GetType().Name}: {ex.Message}");
    }

    if (pace > TimeSpan.Zero)
    {
        await Task.Delay(pace);
    }
}

Console.WriteLine($"RESULT replica={replica} sent={sent} cloud={toCloud} local={toLocal} failed={failed}");

/// <summary>The command line: <c>--name value</c> pairs and <c>--flag</c> switches.</summary>
internal sealed class Arguments(Dictionary<string, string?> values)
{
    public static Arguments Parse(string[] args)
    {
        var values = new Dictionary<string, string?>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            var hasValue = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal);
            values[args[i]] = hasValue ? args[++i] : null;
        }

        return new Arguments(values);
    }

    public string? Get(string name) => values.TryGetValue(name, out var value) ? value : null;

    public bool Has(string name) => values.ContainsKey(name);
}
