using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using HybridInference.JsonSchema;
using Newtonsoft.Json.Linq;
using NJsonSchemaDocument = NJsonSchema.JsonSchema;

namespace HybridInference.Benchmarks.JsonSchema;

/// <summary>
/// The built-in draft 2020-12 validator against NJsonSchema 10.7.2 (Newtonsoft-based), on a realistic
/// structured-output schema and a 1.5 KB answer (<see cref="TicketTriage"/>). Each validator compiles or loads the
/// schema once, in setup. Per category, NJsonSchema is the baseline:
/// <list type="bullet">
/// <item><c>Valid</c>/<c>Invalid</c>: validating an already parsed document (JToken for NJsonSchema, JsonElement for ours);</item>
/// <item><c>ValidFromText</c>: parsing the answer's text and validating it, as the fallback does.</item>
/// </list>
/// Target: at least 5× faster than the baseline, and 0 B allocated for a valid document.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class SchemaValidationBenchmarks
{
    private readonly JsonSchemaValidator _ours = new();
    private NJsonSchemaDocument _theirs = null!;
    private JsonDocument _schema = null!;
    private JsonDocument _valid = null!;
    private JsonDocument _invalid = null!;
    private JToken _validToken = null!;
    private JToken _invalidToken = null!;

    [GlobalSetup]
    public void Setup()
    {
        _schema = JsonDocument.Parse(TicketTriage.Schema);
        _valid = JsonDocument.Parse(TicketTriage.Valid);
        _invalid = JsonDocument.Parse(TicketTriage.Invalid);
        _theirs = NJsonSchemaDocument.FromJsonAsync(TicketTriage.Schema).GetAwaiter().GetResult();
        _validToken = JToken.Parse(TicketTriage.Valid);
        _invalidToken = JToken.Parse(TicketTriage.Invalid);

        // Both must see the documents the same way, or the comparison means nothing.
        Check(_ours.Validate(_schema.RootElement, _valid.RootElement).IsValid && _theirs.Validate(_validToken).Count == 0, "the valid document");
        Check(_ours.Validate(_schema.RootElement, _invalid.RootElement).Errors?.Count == 4 && _theirs.Validate(_invalidToken).Count >= 3, "the invalid document");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _schema.Dispose();
        _valid.Dispose();
        _invalid.Dispose();
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Valid")]
    public int NJsonSchema_Valid() => _theirs.Validate(_validToken).Count;

    [Benchmark]
    [BenchmarkCategory("Valid")]
    public bool HybridInference_Valid() => _ours.Validate(_schema.RootElement, _valid.RootElement).IsValid;

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Invalid")]
    public int NJsonSchema_Invalid() => _theirs.Validate(_invalidToken).Count;

    [Benchmark]
    [BenchmarkCategory("Invalid")]
    public int HybridInference_Invalid() => _ours.Validate(_schema.RootElement, _invalid.RootElement).Errors!.Count;

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("ValidFromText")]
    public int NJsonSchema_ValidFromText() => _theirs.Validate(TicketTriage.Valid).Count;

    [Benchmark]
    [BenchmarkCategory("ValidFromText")]
    public bool HybridInference_ValidFromText()
    {
        using var document = JsonDocument.Parse(TicketTriage.Valid);
        return _ours.Validate(_schema.RootElement, document.RootElement).IsValid;
    }

    private static void Check(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException($"The two validators disagree on {what}.");
        }
    }
}
