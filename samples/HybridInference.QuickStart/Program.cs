// The README's quick start, as a program that compiles: a generic host with the hybrid client, a local Ollama
// and OpenAI (key from OPENAI_API_KEY). Start Ollama with a pulled model before running it.
using System.Text.Json;
using HybridInference;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.Services.AddHybridInference(builder.Configuration.GetSection("HybridInference"))
    .AddOpenAIProviders();       // backends declared in configuration by Provider
using var host = builder.Build();
await host.StartAsync();         // validates the options: a bad configuration stops here, every problem listed

IChatClient chat = host.Services.GetRequiredService<IChatClient>();

// Routine work runs locally.
ChatResponse summary = await chat.GetResponseAsync("Summarize this ticket in one line: the printer on floor 3 jams on A3 paper.");
Print("routine", summary);

// Hard tasks go to the cloud; the category can be set explicitly, otherwise rules decide.
ChatResponse analysis = await chat.GetResponseAsync(
    "Find the root cause of a deadlock between two threads that lock A then B, and B then A.",
    new ChatOptions().WithTaskCategory(TaskCategory.Complex));
Print("complex", analysis);

// Private data never leaves the machine.
ChatResponse record = await chat.GetResponseAsync(
    "Summarize this patient record: J. Doe, born 1970, follow-up in two weeks.",
    new ChatOptions().WithDataPolicy(DataPolicy.LocalOnly));
Print("local-only", record);

// JSON is validated against the schema, retried, escalated.
JsonElement schema = JsonDocument.Parse("""{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},"required":["name","age"]}""").RootElement;
ChatResponse person = await chat.GetResponseAsync(
    "Extract the person: 'Ada Lovelace, 36'",
    new ChatOptions { ResponseFormat = ChatResponseFormat.ForJsonSchema(schema, "person") });
Print("json", person);

// Or typed, with Microsoft.Extensions.AI's structured output: it sends the type's JSON schema, so the chain validates
// the answer (retry, escalation) before it is deserialized.
ChatResponse<Person> typed = await chat.GetResponseAsync<Person>("Extract the person: 'Ada Lovelace, 36'");
Print($"typed ({typed.Result.Name}, {typed.Result.Age})", typed);

await host.StopAsync();

static void Print(string label, ChatResponse response)
{
    RouteOutcome outcome = response.GetRouteOutcome()!;
    Console.WriteLine($"{label}: {outcome.Target} {outcome.Backend} {outcome.DecisionReason} attempts={outcome.Attempts} " +
                      $"cost=${outcome.CostUsd:F5} baseline=${outcome.CloudBaselineCostUsd:F5}");
    Console.WriteLine("  " + response.Text);
}

/// <summary>The person the typed example extracts.</summary>
internal sealed record Person(string Name, int Age);
