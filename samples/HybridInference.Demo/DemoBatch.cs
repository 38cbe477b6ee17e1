using System.Text.Json;
using Microsoft.Extensions.AI;

namespace HybridInference.Demo;

/// <summary>One task of the demo batch: what a caller would send (after the conversation so far, if any).</summary>
internal sealed record DemoTask(string Kind, string Prompt, ChatOptions Options, IReadOnlyList<ChatMessage>? Earlier = null);

/// <summary>
/// A mixed batch shaped like the decision matrix of the hybrid inference pattern: mostly routine work, some complex
/// and safety-critical questions, long documents, structured extraction, private records, a long support chat
/// that outgrows the local limit (fitted to it: <c>Local:History:Mode</c>), code tasks for the code model, and an agent
/// that calls a tool over a few turns (a function-invocation loop, kept on its lane: <c>ToolLoops</c>).
/// </summary>
internal static class DemoBatch
{
    private static readonly JsonElement PersonSchema = JsonDocument.Parse(
        """{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},"required":["name","age"],"additionalProperties":false}""").RootElement;

    private static readonly JsonElement InvoiceSchema = JsonDocument.Parse(
        """{"type":"object","properties":{"vendor":{"type":"string"},"total":{"type":"number"},"currency":{"enum":["EUR","USD","GBP"]}},"required":["vendor","total","currency"]}""").RootElement;

    private static readonly string[] Routine =
    [
        "Classify the sentiment of this review: 'Fast delivery, works as described.'",
        "Translate into German: 'The meeting moved to Thursday.'",
        "Summarize in one line: the quarterly numbers were flat, costs fell slightly.",
        "Extract the city from: 'Ship to 12 Rue de Rivoli, Paris.'",
        "Tag this support ticket with one of billing, shipping, account.",
    ];

    private static readonly string[] Complex =
    [
        "Debug this stack trace and find the root cause: NullReferenceException at OrderService.Submit.",
        "Walk through the trade-offs of event sourcing for our billing system, step by step.",
        "Give a legal analysis of the indemnity clause in this supplier contract.",
    ];

    private static readonly string[] Code =
    [
        "Write a C# function that reverses a string without allocating twice.",
        "Write a Python function that returns the n-th Fibonacci number.",
    ];

    private static readonly string[] SafetyCritical =
    [
        "Is a dosage of 4 g paracetamol per day safe with this medication list?",
        "Which contraindications apply to this patient before surgery?",
    ];

    public static IReadOnlyList<DemoTask> Create(int size)
    {
        var tasks = new List<DemoTask>(size);
        for (var i = 0; i < size; i++)
        {
            tasks.Add((i % 20) switch
            {
                < 8 => new DemoTask("routine", Routine[i % Routine.Length], new ChatOptions()),
                8 => new DemoTask("code", Code[(i / 20) % Code.Length], new ChatOptions()),
                < 12 => new DemoTask("json", "Extract the person from: 'Ada Lovelace, 36, mathematician.'", Json(PersonSchema, "person")),
                12 => new DemoTask("json", "Extract the invoice fields from the attached text.", Json(InvoiceSchema, "invoice")),
                < 15 => new DemoTask("complex", Complex[i % Complex.Length], new ChatOptions()),
                15 => new DemoTask("safety-critical", SafetyCritical[i % SafetyCritical.Length], new ChatOptions()),
                16 => new DemoTask("long-context", "Summarize this contract:\n" + string.Join(' ', Enumerable.Repeat("The supplier shall deliver the goods on time.", 450)), new ChatOptions()),
                17 => new DemoTask("local-only", "Summarize this patient record: J. Doe, born 1970, diagnosis pending.", new ChatOptions().WithDataPolicy(DataPolicy.LocalOnly)),
                18 => LongConversation(i / 20),
                _ => AgentLoop(i / 20),
            });
        }

        return tasks;
    }

    /// <summary>
    /// A support chat at turn 60 + <paramref name="growth"/>: the same chat, longer each time, as a chat app resends it.
    /// Past the local limit it is fitted to it; its later turns reuse the summary of its earlier ones.
    /// </summary>
    private static DemoTask LongConversation(int growth)
    {
        var earlier = new List<ChatMessage> { new(ChatRole.System, "You are the support assistant of a parcel carrier.") };
        for (var turn = 0; turn < 60 + growth; turn++)
        {
            earlier.Add(new ChatMessage(ChatRole.User, $"Parcel {1000 + turn} to depot {turn % 7} was scanned on day {turn % 28 + 1}; is it on the van for tomorrow, and what is its delivery window?"));
            earlier.Add(new ChatMessage(ChatRole.Assistant, $"Parcel {1000 + turn} is on van {turn % 11} for tomorrow; its delivery window is {8 + (turn % 9)}:00 to {10 + (turn % 9)}:00, and the driver calls ahead."));
        }

        return new DemoTask("long-conversation", "And the parcel I asked about first: where is it now?", new ChatOptions(), earlier);
    }

    /// <summary>
    /// An agent's task: the model calls the parcel-tracking tool (the stand-in calls it twice, then answers), so the
    /// task takes three turns; tools do not make it Complex here (<c>Classification:ToolsCategory</c>), so it starts
    /// locally, and each turn after the first goes where the loop runs.
    /// </summary>
    private static DemoTask AgentLoop(int number)
    {
        var track = AIFunctionFactory.Create(
            (int step) => $"Parcel {2000 + number}: scan {step} at depot {(number + step) % 7}, on time.",
            "track_parcel",
            "Returns the next tracking scan of the customer's parcel.");
        return new DemoTask("agent-loop", $"Track parcel {2000 + number} through its scans and tell me when it arrives.", new ChatOptions { Tools = [track] });
    }

    private static ChatOptions Json(JsonElement schema, string name) => new() { ResponseFormat = ChatResponseFormat.ForJsonSchema(schema, name) };
}
