using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using HybridInference.JsonSchema;
using Json.Schema;
using Newtonsoft.Json.Linq;
using NJsonSchemaDocument = NJsonSchema.JsonSchema;
using NetJsonSchema = Json.Schema.JsonSchema;

namespace HybridInference.Benchmarks.JsonSchema;

/// <summary>
/// The built-in draft 2020-12 validator against NJsonSchema 10.7.2 (Newtonsoft-based) and JsonSchema.Net 8.0.5
/// (System.Text.Json-based; never 9 or newer, which charge companies a fee), on a realistic structured-output schema
/// and a 1.5 KB answer (<see cref="TicketTriage"/>). Each validator compiles or loads the schema once, in setup. Per
/// category, NJsonSchema is the baseline:
/// <list type="bullet">
/// <item><c>Valid</c>/<c>Invalid</c>: validating an already parsed document (JToken for NJsonSchema, JsonElement for
/// ours and JsonSchema.Net; JsonSchema.Net answers valid-or-not with <see cref="OutputFormat.Flag"/> and lists the
/// errors of the invalid document with <see cref="OutputFormat.List"/>, as ours does);</item>
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
    private readonly EvaluationOptions _flag = new() { OutputFormat = OutputFormat.Flag };
    private readonly EvaluationOptions _list = new() { OutputFormat = OutputFormat.List };
    private NJsonSchemaDocument _theirs = null!;
    private NetJsonSchema _jsonSchemaNet = null!;
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
        _jsonSchemaNet = NetJsonSchema.FromText(TicketTriage.Schema);
        _validToken = JToken.Parse(TicketTriage.Valid);
        _invalidToken = JToken.Parse(TicketTriage.Invalid);

        // Both must see the documents the same way, or the comparison means nothing.
        Check(_ours.Validate(_schema.RootElement, _valid.RootElement).IsValid && _theirs.Validate(_validToken).Count == 0, "the valid document");
        Check(_ours.Validate(_schema.RootElement, _invalid.RootElement).Errors?.Count == 4 && _theirs.Validate(_invalidToken).Count >= 3, "the invalid document");
        Check(_jsonSchemaNet.Evaluate(_valid.RootElement, _flag).IsValid && _jsonSchemaNet.Evaluate(_valid.RootElement, _list).IsValid, "the valid document (JsonSchema.Net)");
        Check(!_jsonSchemaNet.Evaluate(_invalid.RootElement, _flag).IsValid && JsonSchemaNet_Invalid() >= 4, "the invalid document (JsonSchema.Net)");
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

    [Benchmark]
    [BenchmarkCategory("Valid")]
    public bool JsonSchemaNet_Valid() => _jsonSchemaNet.Evaluate(_valid.RootElement, _flag).IsValid;

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Invalid")]
    public int NJsonSchema_Invalid() => _theirs.Validate(_invalidToken).Count;

    [Benchmark]
    [BenchmarkCategory("Invalid")]
    public int HybridInference_Invalid() => _ours.Validate(_schema.RootElement, _invalid.RootElement).Errors!.Count;

    [Benchmark]
    [BenchmarkCategory("Invalid")]
    public int JsonSchemaNet_Invalid() => CountErrors(_jsonSchemaNet.Evaluate(_invalid.RootElement, _list));

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

    [Benchmark]
    [BenchmarkCategory("ValidFromText")]
    public bool JsonSchemaNet_ValidFromText()
    {
        using var document = JsonDocument.Parse(TicketTriage.Valid);
        return _jsonSchemaNet.Evaluate(document.RootElement, _flag).IsValid;
    }

    /// <summary>The errors of a list-format result: each failing output unit holds its keywords' messages.</summary>
    private static int CountErrors(EvaluationResults results)
    {
        var count = 0;
        if (results.Details is { } details)
        {
            foreach (var unit in details)
            {
                count += unit.Errors?.Count ?? 0;
            }
        }

        return count;
    }

    private static void Check(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException($"The two validators disagree on {what}.");
        }
    }
}
