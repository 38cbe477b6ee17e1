// The calibration run (step 4 of the quick start): sends a batch of test prompts through the configured router and
// writes a report: Markdown on the terminal and in report.md, and a self-contained HTML page with charts in
// report.html, with suggested values for Routing:LocalContextLimit and Routing:EscalationThreshold.
//
// Without endpoints it starts the demo's stand-in servers on 127.0.0.1, so it runs anywhere:
//   dotnet run --project samples/HybridInference.Calibration
//   dotnet run --project samples/HybridInference.Calibration -- --prompts my-prompts.jsonl --out reports/today \
//       --local-endpoint http://localhost:11434/v1 --local-provider ollama --local-model llama3.2 ...
using HybridInference;
using HybridInference.Calibration;
using HybridInference.StandIn;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

const string Local = StandInLanes.Local;
const string Cloud = StandInLanes.Cloud;
var switches = new Dictionary<string, string>(StandInLanes.Switches)
{
    ["--prompts"] = "Calibration:Prompts", ["--out"] = "Calibration:Out", ["--concurrency"] = "Calibration:Concurrency",
    ["--write-example-set"] = "Calibration:WriteExampleSet",
};
var given = new ConfigurationBuilder().AddEnvironmentVariables().AddCommandLine(args, switches).Build();
if (args.Contains("--help"))
{
    Console.WriteLine("Usage: dotnet run --project samples/HybridInference.Calibration [-- options]");
    Console.WriteLine("  --prompts FILE.jsonl   one JSON object per line: {\"prompt\", \"category\"?, \"schema\"?, \"expected\"?, \"data_policy\"?} (default: the 500-prompt example set)");
    Console.WriteLine("  --out DIR              where report.md and report.html go (default: calibration-report)");
    Console.WriteLine("  --concurrency N        requests in flight at once (default 8)");
    Console.WriteLine("  --local-endpoint URL --local-provider NAME --local-model NAME, --cloud-endpoint URL --cloud-provider NAME --cloud-model NAME --cloud-key KEY");
    Console.WriteLine("  --write-example-set FILE  writes the example set and exits");
    return 0;
}

if (given["Calibration:WriteExampleSet"] is { } examplePath)
{
    await File.WriteAllLinesAsync(examplePath, ExampleSet.Lines());
    Console.WriteLine($"Wrote {ExampleSet.Lines().Count()} prompts to {examplePath}");
    return 0;
}

IReadOnlyList<CalibrationPrompt> prompts;
var promptPath = given["Calibration:Prompts"] ?? Path.Combine(AppContext.BaseDirectory, "prompts.jsonl");
try
{
    prompts = PromptFile.Read(promptPath);
}
catch (PromptFileException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

await using var standIns = await StandInLanes.StartAsync(
    key => given[key],
    new ServerBehaviour("mistralai/Mistral-7B-Instruct-v0.2", TimeSpan.FromMilliseconds(40), 0.02, 0.25, Seed: 7),
    new ServerBehaviour("gpt-4-turbo", TimeSpan.FromMilliseconds(180), 0.0, 0.0, Seed: 11));
var configuration = standIns.BuildConfiguration(args, switches);
var services = new ServiceCollection();
services.AddHybridInference(configuration.GetSection(HybridInferenceOptions.SectionName)).AddOpenAIProviders();
await using var provider = services.BuildServiceProvider();
var chat = provider.GetRequiredService<IChatClient>();
var options = provider.GetRequiredService<IOptions<HybridInferenceOptions>>().Value;

Console.WriteLine($"Calibrating with {prompts.Count} prompts: local {configuration[Local + "Provider"]} at {EndpointText.Show(configuration[Local + "Endpoint"])}, cloud {configuration[Cloud + "Provider"]} at {EndpointText.Show(configuration[Cloud + "Endpoint"])}");
var runAt = DateTimeOffset.UtcNow;
var results = await CalibrationRun.RunAsync(chat, prompts, int.TryParse(configuration["Calibration:Concurrency"], out var concurrency) && concurrency > 0 ? concurrency : 8, Console.Out);
var summary = new CalibrationSummary(results, options);

var outDirectory = Path.GetFullPath(configuration["Calibration:Out"] ?? "calibration-report");
Directory.CreateDirectory(outDirectory);
var source = Path.GetFileName(promptPath);
var markdown = MarkdownReport.Render(summary, source);
await File.WriteAllTextAsync(Path.Combine(outDirectory, "report.md"), markdown);
await File.WriteAllTextAsync(Path.Combine(outDirectory, "report.html"), HtmlReport.Render(summary, source, runAt));
Console.WriteLine();
Console.WriteLine(markdown);
Console.WriteLine($"Written: {Path.Combine(outDirectory, "report.md")} and {Path.Combine(outDirectory, "report.html")}");
return 0;
