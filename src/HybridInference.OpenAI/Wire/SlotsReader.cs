using System.Text.Json;

namespace HybridInference.OpenAI.Wire;

/// <summary>
/// Reads llama.cpp's <c>GET /slots</c>: a JSON array with one object per parallel slot. Newer servers mark a busy
/// slot with <c>"is_processing": true</c>; older ones with <c>"state"</c> other than 0 (0 idle, 1 processing).
/// </summary>
internal static class SlotsReader
{
    /// <summary>Counts the busy slots; null when the body is not a slots array (a proxy's page, an error body).</summary>
    public static int? CountBusy(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                return null;
            }

            var busy = 0;
            foreach (var slot in document.RootElement.EnumerateArray())
            {
                if (slot.ValueKind != JsonValueKind.Object)
                {
                    return null;
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
                    return null;
                }
            }

            return busy;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
