using System.Text.Json;

namespace HybridInference.Calibration;

/// <summary>
/// The 500-prompt example set shipped as prompts.jsonl (written by <c>--write-example-set</c>): a mix shaped like
/// an application's traffic. Expected answers are given where the demo's stand-in servers answer deterministically
/// (the JSON extractions), so the run measures quality as well as cost.
/// </summary>
internal static class ExampleSet
{
    private const string PersonSchema = """{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},"required":["name","age"],"additionalProperties":false}""";
    private const string InvoiceSchema = """{"type":"object","properties":{"vendor":{"type":"string"},"total":{"type":"number"},"currency":{"enum":["EUR","USD","GBP"]}},"required":["vendor","total","currency"]}""";

    private static readonly string[] Routine =
    [
        "Translate into German: '{0}'",
        "Summarize in one line: {0}",
        "Classify the sentiment of this review as positive, negative or neutral: '{0}'",
        "Tag this support ticket with one of billing, shipping, account: '{0}'",
        "Rewrite politely: '{0}'",
        "Extract the city from: '{0}'",
    ];

    private static readonly string[] Sentences =
    [
        "The meeting moved to Thursday at ten.",
        "Fast delivery, works as described, would buy again.",
        "My invoice shows the wrong amount for March.",
        "The parcel never arrived at 12 Rue de Rivoli, Paris.",
        "I cannot log in since the password reset.",
        "Quarterly numbers were flat while costs fell slightly.",
        "Please ship the replacement to Via Roma 4, Milan.",
        "The app crashes when I open the settings page.",
    ];

    private static readonly string[] Complex =
    [
        "Debug this stack trace and find the root cause: NullReferenceException at OrderService.Submit line {0}.",
        "Walk through the trade-offs of event sourcing for a billing system with {0} tenants, step by step.",
        "Analyze the indemnity clause of supplier contract #{0} and explain the legal risk.",
        "Design a migration plan for {0} million rows from MySQL to PostgreSQL without downtime.",
    ];

    private static readonly string[] SafetyCritical =
    [
        "Is a dosage of {0} g paracetamol per day safe with this medication list?",
        "Which contraindications apply to patient {0} before surgery?",
    ];

    public static IEnumerable<string> Lines()
    {
        var random = new Random(2026);
        for (var i = 0; i < 500; i++)
        {
            var slot = i % 20;
            yield return slot switch
            {
                < 11 => Line(new { prompt = string.Format(System.Globalization.CultureInfo.InvariantCulture, Routine[i % Routine.Length], Sentences[(i / Routine.Length) % Sentences.Length]) }),
                11 or 12 => Line(new { prompt = "Extract the person from: 'Ada Lovelace, 36, mathematician.'", schema = Json(PersonSchema), schema_name = "person", expected = Json("""{"name":"Ada Lovelace","age":36}""") }),
                13 => Line(new { prompt = "Extract the invoice fields from: 'Acme GmbH, total 1249.50 EUR.'", schema = Json(InvoiceSchema), schema_name = "invoice", expected = Json("""{"vendor":"Acme GmbH","total":1249.5,"currency":"EUR"}""") }),
                14 or 15 => Line(new { prompt = string.Format(System.Globalization.CultureInfo.InvariantCulture, Complex[i % Complex.Length], random.Next(10, 999)), category = i % 3 == 0 ? "complex" : null }),
                16 => Line(new { prompt = string.Format(System.Globalization.CultureInfo.InvariantCulture, SafetyCritical[i % SafetyCritical.Length], random.Next(1, 9)), category = "safety_critical" }),
                17 => Line(new { prompt = "Summarize this document:\n" + Document(random.Next(300, 3000)) }),
                18 => Line(new { prompt = "Summarize this contract:\n" + Document(random.Next(4200, 7000)) }),
                _ => Line(new { prompt = "Summarize this patient record: J. Doe, born 1970, diagnosis pending.", data_policy = "local_only" }),
            };
        }
    }

    /// <summary>A document of about <paramref name="words"/> words (roughly 1.3 tokens each).</summary>
    private static string Document(int words) => string.Join(' ', Enumerable.Range(0, words).Select(i => Sentences[i % Sentences.Length].Split(' ')[i % 5]));

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    private static string Line(object value) => JsonSerializer.Serialize(value, new JsonSerializerOptions { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull });
}
