using System.Text.Json;

namespace HybridInference.OpenAI.Wire;

/// <summary>Reads <c>GET /v1/models</c>, including Ollama's <c>"data": null</c> when no model is installed.</summary>
internal static class ModelListReader
{
    public static IReadOnlyList<string> Read(BinaryData body, string backend)
    {
        try
        {
            using var document = JsonDocument.Parse(body.ToMemory());
            if (!document.RootElement.TryGetProperty("data"u8, out var data) || data.ValueKind == JsonValueKind.Null)
            {
                return [];
            }

            if (data.ValueKind != JsonValueKind.Array)
            {
                throw new BackendException(BackendErrorKind.MalformedResponse, $"Backend '{backend}' answered /v1/models with 'data' that is not a list.");
            }

            var ids = new List<string>(data.GetArrayLength());
            foreach (var model in data.EnumerateArray())
            {
                if (model.TryGetProperty("id"u8, out var id) && id.ValueKind == JsonValueKind.String)
                {
                    ids.Add(id.GetString()!);
                }
            }

            return ids;
        }
        catch (JsonException ex)
        {
            throw new BackendException(BackendErrorKind.MalformedResponse, $"Backend '{backend}' answered /v1/models with a body that is not JSON: {ex.Message}", innerException: ex);
        }
    }
}
