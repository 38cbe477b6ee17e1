using System.Text.Json.Serialization;

namespace HybridInference.History;

/// <summary>Source-generated JSON for a tool call's arguments in a summarizer's transcript (no reflection, trimming-safe).</summary>
[JsonSerializable(typeof(IDictionary<string, object?>))]
[JsonSerializable(typeof(System.Text.Json.JsonElement))]
internal sealed partial class HistoryJson : JsonSerializerContext;
