using System.Text.Json;
using HybridInference.OpenAI.Dialects;

namespace HybridInference.OpenAI.Wire;

/// <summary>Reads the answers of the servers' tokenize endpoints (their forms are in the test fixtures' <c>tokenize.md</c>).</summary>
internal static class TokenizeReader
{
    /// <summary>Reads the token count from a tokenize answer in the dialect's form.</summary>
    /// <param name="form">How the server counts.</param>
    /// <param name="body">The 200 answer's body.</param>
    /// <param name="backend">The backend's name, for messages.</param>
    /// <returns>
    /// vLLM's <c>count</c>; the length of TGI's <c>tokenize_response</c>; the length of llama.cpp's and LocalAI's
    /// <c>tokens</c>.
    /// </returns>
    /// <exception cref="BackendException">The body is not such an answer (<see cref="BackendErrorKind.MalformedResponse"/>).</exception>
    public static int ReadCount(TokenCountForm form, BinaryData body, string backend)
    {
        using var document = Parse(body, backend);
        var root = document.RootElement;
        switch (form)
        {
            case TokenCountForm.VllmChat when root.ValueKind == JsonValueKind.Object
                && root.TryGetProperty("count"u8, out var count) && count.ValueKind == JsonValueKind.Number && count.TryGetInt32(out var value) && value >= 0:
                return value;
            case TokenCountForm.TgiChat when root.ValueKind == JsonValueKind.Object
                && root.TryGetProperty("tokenize_response"u8, out var tokens) && tokens.ValueKind == JsonValueKind.Array:
                return tokens.GetArrayLength();
            case TokenCountForm.LlamaCppText or TokenCountForm.LocalAIText when root.ValueKind == JsonValueKind.Object
                && root.TryGetProperty("tokens"u8, out var ids) && ids.ValueKind == JsonValueKind.Array:
                return ids.GetArrayLength();
            default:
                throw new BackendException(BackendErrorKind.MalformedResponse, $"Backend '{backend}' answered its tokenize endpoint with a body that holds no token count.");
        }
    }

    /// <summary>Reads the rendered prompt from llama.cpp's <c>/apply-template</c> answer (<c>{"prompt": "..."}</c>).</summary>
    /// <exception cref="BackendException">The body is not such an answer.</exception>
    public static string ReadRenderedPrompt(BinaryData body, string backend)
    {
        using var document = Parse(body, backend);
        return document.RootElement is { ValueKind: JsonValueKind.Object } root && root.TryGetProperty("prompt"u8, out var prompt) && prompt.ValueKind == JsonValueKind.String
            ? prompt.GetString()!
            : throw new BackendException(BackendErrorKind.MalformedResponse, $"Backend '{backend}' answered /apply-template with a body that holds no prompt.");
    }

    private static JsonDocument Parse(BinaryData body, string backend)
    {
        try
        {
            return JsonDocument.Parse(body);
        }
        catch (JsonException e)
        {
            throw new BackendException(BackendErrorKind.MalformedResponse, $"Backend '{backend}' answered its tokenize endpoint with a body that is not JSON: {e.Message}", innerException: e);
        }
    }
}
