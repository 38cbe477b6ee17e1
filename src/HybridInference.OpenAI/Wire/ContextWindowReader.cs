using System.Text.Json;

namespace HybridInference.OpenAI.Wire;

/// <summary>
/// Reads the context window a server reports, for one request (what a prompt plus its output may use): llama.cpp's
/// <c>/props</c> <c>default_generation_settings.n_ctx</c> (one slot's share: <c>-c 8192 -np 4</c> gives 2048; its
/// <c>/slots</c> say the same per slot), vLLM's <c>/v1/models</c> <c>max_model_len</c>, TGI's <c>/info</c>
/// <c>max_total_tokens</c> (prompt plus new tokens; <c>max_input_tokens</c> bounds the prompt alone). llama.cpp's
/// <c>/v1/models</c> <c>meta.n_ctx_train</c> is the context the model was trained with, not the server's window, and
/// is never read. Null when the page has no such figure or is not in the expected shape.
/// </summary>
internal static class ContextWindowReader
{
    /// <summary>Reads llama.cpp's <c>GET /props</c>.</summary>
    public static int? FromLlamaCppProps(string body, string? model) =>
        Read(body, static root => root.TryGetProperty("default_generation_settings"u8, out var settings) && settings.ValueKind == JsonValueKind.Object
            ? Positive(settings, "n_ctx"u8)
            : null);

    /// <summary>Reads TGI's <c>GET /info</c>.</summary>
    public static int? FromTgiInfo(string body, string? model) => Read(body, static root => Positive(root, "max_total_tokens"u8));

    /// <summary>
    /// Reads <c>GET /v1/models</c>: vLLM's <c>max_model_len</c> (newer llama.cpp builds: <c>meta.n_ctx</c>) of the
    /// configured model, else of the only model listed; with several and none named, the smallest (the safe side).
    /// </summary>
    public static int? FromModelList(string body, string? model) => Read(body, root =>
    {
        if (!root.TryGetProperty("data"u8, out var data) || data.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        int? smallest = null;
        foreach (var entry in data.EnumerateArray())
        {
            if (entry.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            var window = Positive(entry, "max_model_len"u8)
                ?? (entry.TryGetProperty("meta"u8, out var meta) && meta.ValueKind == JsonValueKind.Object ? Positive(meta, "n_ctx"u8) : null);
            if (model is not null && entry.TryGetProperty("id"u8, out var id) && id.ValueKind == JsonValueKind.String && string.Equals(id.GetString(), model, StringComparison.Ordinal))
            {
                return window;
            }

            smallest = window is { } w && w < (smallest ?? int.MaxValue) ? w : smallest;
        }

        return smallest;
    });

    /// <summary>The smallest <c>n_ctx</c> of llama.cpp's <c>/slots</c> array elements (every slot has the same).</summary>
    internal static int? FromSlot(JsonElement slot, int? smallest) =>
        Positive(slot, "n_ctx"u8) is { } window && window < (smallest ?? int.MaxValue) ? window : smallest;

    private static int? Read(string body, Func<JsonElement, int?> read)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.ValueKind == JsonValueKind.Object ? read(document.RootElement) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static int? Positive(JsonElement element, ReadOnlySpan<byte> name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) && number > 0 ? number : null;
}
