using System.Text.Json;
using Microsoft.Extensions.AI;

namespace HybridInference.Scrubbing;

/// <summary>
/// Collects the texts a request sends that a server might echo in an error, for <see cref="ErrorTextScrubber"/>:
/// everything the caller wrote, not only the user's messages. Compiled into each provider package (source shared
/// from <c>src/Shared</c>). Used on error paths only.
/// </summary>
internal static class RequestTexts
{
    /// <summary>
    /// Every text of a JSON request body as it went on the wire: each string value (decoded, and as escaped in the
    /// body when that differs), and the JSON text of schemas and tool parameters; not the model name, which servers
    /// quote in errors of their own.
    /// </summary>
    /// <param name="body">The request body; when it is not JSON, nothing is collected.</param>
    /// <returns>The texts at least <see cref="ErrorTextScrubber.MinEchoLength"/> characters long.</returns>
    public static IReadOnlyList<string> FromJsonBody(ReadOnlyMemory<byte> body)
    {
        List<string> texts = [];
        try
        {
            using var document = JsonDocument.Parse(body);
            Collect(document.RootElement, texts, topLevel: true);
        }
        catch (JsonException)
        {
            // Not JSON: nothing to recognise.
        }

        return texts;
    }

    /// <summary>
    /// Every text a chat request sends, for a provider whose wire body is written by a library: the instructions; each
    /// message's text, reasoning, author name, tool calls (name and arguments, serialised) and tool results
    /// (serialised); the tools' names, descriptions and schemas; the response format's name, description and schema.
    /// </summary>
    /// <param name="messages">The request's messages.</param>
    /// <param name="options">The request's options.</param>
    /// <returns>The texts at least <see cref="ErrorTextScrubber.MinEchoLength"/> characters long.</returns>
    public static IReadOnlyList<string> FromChat(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        List<string> texts = [];
        Add(texts, options?.Instructions);
        foreach (var message in messages)
        {
            Add(texts, message.AuthorName);
            foreach (var content in message.Contents)
            {
                switch (content)
                {
                    case TextContent text:
                        Add(texts, text.Text);
                        break;
                    case TextReasoningContent reasoning:
                        Add(texts, reasoning.Text);
                        break;
                    case FunctionCallContent call:
                        Add(texts, call.Name);
                        if (call.Arguments is { Count: > 0 } arguments)
                        {
                            AddJson(texts, JsonSerializer.SerializeToElement(arguments, AIJsonUtilities.DefaultOptions));
                        }

                        break;
                    case FunctionResultContent result:
                        AddResult(texts, result.Result);
                        break;
                }
            }
        }

        if (options?.Tools is { Count: > 0 } tools)
        {
            foreach (var tool in tools)
            {
                Add(texts, tool.Name);
                Add(texts, tool.Description);
                if (tool is AIFunctionDeclaration function)
                {
                    AddJson(texts, function.JsonSchema);
                }
            }
        }

        if (options?.ResponseFormat is ChatResponseFormatJson json)
        {
            Add(texts, json.SchemaName);
            Add(texts, json.SchemaDescription);
            if (json.Schema is { } schema)
            {
                AddJson(texts, schema);
            }
        }

        return texts;
    }

    private static void AddResult(List<string> texts, object? result)
    {
        switch (result)
        {
            case null:
                break;
            case string text:
                Add(texts, text);
                break;
            case JsonElement element:
                AddJson(texts, element);
                break;
            default:
                AddJson(texts, JsonSerializer.SerializeToElement(result, AIJsonUtilities.DefaultOptions));
                break;
        }
    }

    /// <summary>Adds a JSON value's text as serialised, and the strings in it.</summary>
    private static void AddJson(List<string> texts, JsonElement element)
    {
        if (element.ValueKind is JsonValueKind.Object or JsonValueKind.Array)
        {
            Add(texts, element.GetRawText());
        }

        Collect(element, texts, topLevel: false);
    }

    private static void Collect(JsonElement element, List<string> texts, bool topLevel)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (topLevel && property.NameEquals("model"u8))
                    {
                        continue;
                    }

                    if (property.Value.ValueKind == JsonValueKind.Object
                        && (property.NameEquals("schema"u8) || property.NameEquals("parameters"u8) || property.NameEquals("value"u8)))
                    {
                        Add(texts, property.Value.GetRawText()); // A schema may be quoted as JSON.
                    }

                    Collect(property.Value, texts, topLevel: false);
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    Collect(item, texts, topLevel: false);
                }

                break;
            case JsonValueKind.String:
                var value = element.GetString();
                Add(texts, value);
                var raw = element.GetRawText();
                if (raw.Length - 2 != value!.Length)
                {
                    Add(texts, raw[1..^1]); // As escaped on the wire, for servers that quote the body itself.
                }

                break;
        }
    }

    private static void Add(List<string> texts, string? text)
    {
        if (text is { Length: >= ErrorTextScrubber.MinEchoLength })
        {
            texts.Add(text);
        }
    }
}
