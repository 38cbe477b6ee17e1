// Exports the hybrid client's traces, metrics and logs with the OpenTelemetry .NET SDK, the way an app's own
// OpenTelemetry setup would: its ActivitySource and Meter are both named "HybridInference", and it logs through
// ILogger. Traffic goes over real HTTP to two stand-in servers on 127.0.0.1 (a local engine and a cloud API).
//
//   dotnet run --project samples/HybridInference.Observability                     spans and logs to the console, then the metrics page
//   dotnet run --project samples/HybridInference.Observability -- --prometheus     metrics served on http://127.0.0.1:9464/metrics
//   ... -- --prometheus --port 9500 --serve                                        and kept up until Ctrl+C
using System.Globalization;
using HybridInference;
using HybridInference.Observability;
using HybridInference.StandIn;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

var prometheus = args.Contains("--prometheus");
var serve = args.Contains("--serve");
var port = Option("--port", 9464);
var requests = Option("--requests", 40);

await using var localServer = await SimulatedServer.StartAsync(new ServerBehaviour("mistralai/Mistral-7B-Instruct-v0.2", TimeSpan.FromMilliseconds(30), 0.05, 0.3, Seed: 7));
await using var cloudServer = await SimulatedServer.StartAsync(new ServerBehaviour("gpt-4-turbo", TimeSpan.FromMilliseconds(90), 0.0, 0.0, Seed: 11));
var configuration = new ConfigurationBuilder()
    .SetBasePath(AppContext.BaseDirectory)
    .AddJsonFile("appsettings.json")
    .AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["HybridInference:Local:Backends:0:Endpoint"] = localServer.Endpoint.ToString(),
        ["HybridInference:Cloud:Backends:0:Endpoint"] = cloudServer.Endpoint.ToString(),
        ["HybridInference:Cloud:Backends:0:ApiKey"] = "stand-in-key",
        ["HybridInference:Cloud:Backends:0:AllowInsecureHttp"] = "true", // plain HTTP to a stand-in on 127.0.0.1 only
    })
    .Build();

// The OpenTelemetry SDK: traces and logs to the console (in console mode), metrics through a pull reader that
// renders Prometheus text. Its exporter packages are not in this machine's package source, so the two small
// exporters are written here (ConsoleExporters.cs, PrometheusTextExporter.cs) on the SDK's BaseExporter.
var metricsPage = new PrometheusTextExporter();
using var metricReader = new BaseExportingMetricReader(metricsPage);
using var meterProvider = Sdk.CreateMeterProviderBuilder().AddMeter("HybridInference").AddReader(metricReader).Build();
using var tracerProvider = prometheus
    ? null
    : Sdk.CreateTracerProviderBuilder().AddSource("HybridInference").AddProcessor(new SimpleActivityExportProcessor(new ConsoleSpanExporter(Console.Out))).Build();

var services = new ServiceCollection();
services.AddLogging(logging => logging
    .SetMinimumLevel(LogLevel.Information)
    .AddFilter("System.Net.Http", LogLevel.Warning) // one line per HTTP call is the HttpClient's, not this sample's, story
    .AddOpenTelemetry(options =>
    {
        options.IncludeFormattedMessage = true;
        options.AddProcessor(new SimpleLogRecordExportProcessor(new ConsoleLogExporter(Console.Out)));
    }));
services.AddHybridInference(configuration.GetSection(HybridInferenceOptions.SectionName)).AddOpenAIProviders();
await using var provider = services.BuildServiceProvider();
var chat = provider.GetRequiredService<IChatClient>();

await using var page = prometheus ? await StartMetricsPageAsync(port) : null;
if (page is not null)
{
    Console.WriteLine($"Metrics on {page.Urls.First()}/metrics (Prometheus text format)");
}

var json = ChatResponseFormat.ForJsonSchema(
    System.Text.Json.JsonDocument.Parse("""{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},"required":["name","age"]}""").RootElement,
    "person");
ChatOptions[] kinds =
[
    new(),
    new() { ResponseFormat = json },
    new ChatOptions().WithTaskCategory(TaskCategory.Complex),
    new ChatOptions().WithDataPolicy(DataPolicy.LocalOnly),
];
string[] prompts = ["Translate into German: 'The meeting moved.'", "Extract the person: 'Ada Lovelace, 36.'", "Plan the database migration step by step.", "Summarize this patient record."];
var failures = 0;
for (var i = 0; i < requests; i++)
{
    try
    {
        await chat.GetResponseAsync(prompts[i % prompts.Length], kinds[i % kinds.Length]);
    }
    catch (HybridInferenceException)
    {
        failures++; // a local-only request the stand-in's failures left without a local answer; it never went to the cloud
    }
}

metricReader.Collect();
Console.WriteLine();
Console.WriteLine($"{requests} requests, {failures} failed. The metrics page:");
Console.WriteLine();
Console.Write(metricsPage.Page);

if (page is not null && serve)
{
    Console.WriteLine("Serving until Ctrl+C.");
    var stop = new TaskCompletionSource();
    Console.CancelKeyPress += (_, e) =>
    {
        e.Cancel = true;
        stop.TrySetResult();
    };
    await stop.Task;
}

async Task<WebApplication> StartMetricsPageAsync(int listenPort)
{
    var builder = WebApplication.CreateSlimBuilder();
    builder.Logging.ClearProviders();
    builder.WebHost.UseUrls($"http://127.0.0.1:{listenPort.ToString(CultureInfo.InvariantCulture)}");
    var app = builder.Build();
    app.MapGet("/metrics", () =>
    {
        metricReader.Collect();
        return Results.Text(metricsPage.Page, "text/plain; version=0.0.4; charset=utf-8");
    });
    await app.StartAsync();
    return app;
}

int Option(string name, int fallback)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length && int.TryParse(args[index + 1], CultureInfo.InvariantCulture, out var value) ? value : fallback;
}
