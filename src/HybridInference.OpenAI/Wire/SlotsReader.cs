using System.Text.Json;

namespace HybridInference.OpenAI.Wire;

/// <summary>
/// Reads llama.cpp's <c>GET /slots</c>: a JSON array with one object per parallel slot. Newer servers mark a busy
/// slot with <c>"is_processing": true</c>; older ones with <c>"state"</c> other than 0 (0 idle, 1 processing). Every
/// slot says its context window, <c>n_ctx</c>: one slot's share of the server's <c>-c</c>, what one request may use.
/// </summary>
internal static class SlotsReader
{
    /// <summary>Counts the busy slots; null when the body is not a slots array (a proxy's page, an error body).</summary>
    public static int? CountBusy(string body) => Read(body).Busy;

    /// <summary>Counts the busy slots and reads the slots' context window; each null when the body does not say it.</summary>
    public static (int? Busy, int? ContextWindow) Read(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                return (null, null);
            }

            int? busy = 0;
            int? window = null;
            foreach (var slot in document.RootElement.EnumerateArray())
            {
                if (slot.ValueKind != JsonValueKind.Object)
                {
                    return (null, null);
                }

                window = ContextWindowReader.FromSlot(slot, window);
                if (busy is null)
                {
                    continue;
                }

                if (slot.TryGetProperty("is_processing", out var processing))
                {
                    busy += processing.ValueKind == JsonValueKind.True ? 1 : 0;
                }
                else if (slot.TryGetProperty("state", out var state) && state.TryGetInt32(out var value))
                {
                    busy += value != 0 ? 1 : 0;
                }
                else
                {
                    busy = null; // A shape without either field: no count, but the window may still be there.
                }
            }

            return (busy, window);
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }
}
