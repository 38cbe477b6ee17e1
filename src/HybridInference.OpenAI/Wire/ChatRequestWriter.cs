using System.Buffers;
using System.Text.Json;
using HybridInference.OpenAI.Dialects;
using Microsoft.Extensions.AI;

namespace HybridInference.OpenAI.Wire;

/// <summary>
/// Writes the JSON body of a <c>/v1/chat/completions</c> request from Microsoft.Extensions.AI messages and options,
/// in the shape the server's dialect takes (its schema-constraint form, its output-limit name).
/// </summary>
/// <remarks>Content the wire format cannot carry is refused with <see cref="NotSupportedException"/>, never dropped.</remarks>
internal static class ChatRequestWriter
{
    /// <summary>Writes the request body.</summary>
    /// <param name="dialect">The server's dialect.</param>
    /// <param name="defaultModel">The model asked for when the options name none.</param>
    /// <param name="messages">The messages.</param>
    /// <param name="options">The request's options.</param>
    /// <param name="stream">Whether the answer is streamed.</param>
    /// <param name="defaultMaxOutputTokens">The output limit sent when the options set none (a local backend's <c>Routing:DefaultOutputTokens</c>); none when null.</param>
    /// <returns>The JSON body.</returns>
    public static BinaryData Write(ServerDialect dialect, string? defaultModel, IEnumerable<ChatMessage> messages, ChatOptions? options, bool stream, int? defaultMaxOutputTokens = null)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("model"u8, options?.ModelId ?? defaultModel ?? string.Empty);
            WriteMessages(writer, messages, options?.Instructions);
            if (stream)
            {
                writer.WriteBoolean("stream"u8, true);
                writer.WriteStartObject("stream_options"u8);
                writer.WriteBoolean("include_usage"u8, true);
                writer.WriteEndObject();
            }

            if (options is not null)
            {
                WriteOptions(writer, dialect, options, defaultMaxOutputTokens);
            }
            else if (defaultMaxOutputTokens is { } maxTokens)
            {
                WriteMaxTokens(writer, dialect, maxTokens);
            }

            writer.WriteEndObject();
        }

        return new BinaryData(buffer.WrittenMemory);
    }

    /// <summary>
    /// Writes the body of a count of the whole chat on the server (vLLM's <c>/tokenize</c> chat form, TGI's
    /// <c>/chat_tokenize</c>): the model, the messages and the tools as a chat request sends them, and, for vLLM, the
    /// generation prompt the chat completion adds (<c>add_generation_prompt</c>); nothing that only shapes the answer.
    /// </summary>
    /// <param name="dialect">The server's dialect.</param>
    /// <param name="defaultModel">The model asked for when the options name none.</param>
    /// <param name="messages">The messages.</param>
    /// <param name="options">The request's options.</param>
    /// <returns>The JSON body.</returns>
    public static BinaryData WriteChatTokenize(ServerDialect dialect, string? defaultModel, IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("model"u8, options?.ModelId ?? defaultModel ?? string.Empty);
            WriteMessages(writer, messages, options?.Instructions);
            if (options?.Tools is { Count: > 0 } tools)
            {
                WriteTools(writer, tools, mode: null);
            }

            if (dialect.TokenCount == TokenCountForm.VllmChat)
            {
                writer.WriteBoolean("add_generation_prompt"u8, true);
            }

            writer.WriteEndObject();
        }

        return new BinaryData(buffer.WrittenMemory);
    }

    private static void WriteMaxTokens(Utf8JsonWriter writer, ServerDialect dialect, int maxTokens) =>
        writer.WriteNumber(dialect.UsesMaxCompletionTokens ? "max_completion_tokens"u8 : "max_tokens"u8, maxTokens);

    private static void WriteOptions(Utf8JsonWriter writer, ServerDialect dialect, ChatOptions options, int? defaultMaxOutputTokens)
    {
        if (options.Temperature is { } temperature)
        {
            writer.WriteNumber("temperature"u8, temperature);
        }

        if (options.TopP is { } topP)
        {
            writer.WriteNumber("top_p"u8, topP);
        }

        if (options.TopK is { } topK && !dialect.IsCloud)
        {
            writer.WriteNumber("top_k"u8, topK); // An extension the local servers accept; OpenAI does not.
        }

        // The caller's limit wins; else a local backend's default, so that a model that does not stop cannot fill its slot.
        if ((options.MaxOutputTokens ?? defaultMaxOutputTokens) is { } maxTokens)
        {
            WriteMaxTokens(writer, dialect, maxTokens);
        }

        if (options.FrequencyPenalty is { } frequencyPenalty)
        {
            writer.WriteNumber("frequency_penalty"u8, frequencyPenalty);
        }

        if (options.PresencePenalty is { } presencePenalty)
        {
            writer.WriteNumber("presence_penalty"u8, presencePenalty);
        }

        if (options.Seed is { } seed)
        {
            writer.WriteNumber("seed"u8, seed);
        }

        if (options.StopSequences is { Count: > 0 } stops)
        {
            writer.WriteStartArray("stop"u8);
            foreach (var stop in stops)
            {
                writer.WriteStringValue(stop);
            }

            writer.WriteEndArray();
        }

        if (options.ResponseFormat is ChatResponseFormatJson json)
        {
            WriteResponseFormat(writer, dialect, json);
        }

        if (options.Tools is { Count: > 0 } tools)
        {
            WriteTools(writer, tools, options.ToolMode);
        }
    }

    private static void WriteResponseFormat(Utf8JsonWriter writer, ServerDialect dialect, ChatResponseFormatJson json)
    {
        writer.WriteStartObject("response_format"u8);
        if (dialect.SchemaFormat == SchemaConstraintFormat.TgiTypeValue)
        {
            // TGI: {"type":"json","value":<schema>}; it needs a schema even for "any JSON object".
            writer.WriteString("type"u8, "json"u8);
            writer.WritePropertyName("value"u8);
            if (json.Schema is { } tgiSchema)
            {
                tgiSchema.WriteTo(writer);
            }
            else
            {
                writer.WriteStartObject();
                writer.WriteString("type"u8, "object"u8);
                writer.WriteEndObject();
            }
        }
        else if (json.Schema is { } schema)
        {
            writer.WriteString("type"u8, "json_schema"u8);
            writer.WriteStartObject("json_schema"u8);
            writer.WriteString("name"u8, string.IsNullOrWhiteSpace(json.SchemaName) ? "response" : json.SchemaName); // vLLM and OpenAI require a name.
            if (json.SchemaDescription is { } description)
            {
                writer.WriteString("description"u8, description);
            }

            writer.WritePropertyName("schema"u8);
            schema.WriteTo(writer);
            writer.WriteEndObject();
        }
        else
        {
            writer.WriteString("type"u8, "json_object"u8);
        }

        writer.WriteEndObject();
    }

    private static void WriteTools(Utf8JsonWriter writer, IList<AITool> tools, ChatToolMode? mode)
    {
        writer.WriteStartArray("tools"u8);
        foreach (var tool in tools)
        {
            if (tool is not AIFunctionDeclaration function)
            {
                throw new NotSupportedException($"Tool '{tool.Name}' ({tool.GetType().Name}) is not a function; an OpenAI-compatible chat endpoint takes only function tools.");
            }

            writer.WriteStartObject();
            writer.WriteString("type"u8, "function"u8);
            writer.WriteStartObject("function"u8);
            writer.WriteString("name"u8, function.Name);
            if (!string.IsNullOrEmpty(function.Description))
            {
                writer.WriteString("description"u8, function.Description);
            }

            writer.WritePropertyName("parameters"u8);
            function.JsonSchema.WriteTo(writer);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();

        switch (mode)
        {
            case NoneChatToolMode:
                writer.WriteString("tool_choice"u8, "none"u8);
                break;
            case RequiredChatToolMode { RequiredFunctionName: { } name }:
                writer.WriteStartObject("tool_choice"u8);
                writer.WriteString("type"u8, "function"u8);
                writer.WriteStartObject("function"u8);
                writer.WriteString("name"u8, name);
                writer.WriteEndObject();
                writer.WriteEndObject();
                break;
            case RequiredChatToolMode:
                writer.WriteString("tool_choice"u8, "required"u8);
                break;
            case AutoChatToolMode:
                writer.WriteString("tool_choice"u8, "auto"u8);
                break;
        }
    }

    private static void WriteMessages(Utf8JsonWriter writer, IEnumerable<ChatMessage> messages, string? instructions)
    {
        writer.WriteStartArray("messages"u8);
        if (!string.IsNullOrEmpty(instructions))
        {
            writer.WriteStartObject();
            writer.WriteString("role"u8, "system"u8);
            writer.WriteString("content"u8, instructions);
            writer.WriteEndObject();
        }

        foreach (var message in messages)
        {
            if (message.Role == ChatRole.Tool || message.Contents.Any(c => c is FunctionResultContent))
            {
                WriteToolResults(writer, message);
            }
            else
            {
                WriteMessage(writer, message);
            }
        }

        writer.WriteEndArray();
    }

    private static void WriteMessage(Utf8JsonWriter writer, ChatMessage message)
    {
        writer.WriteStartObject();
        writer.WriteString("role"u8, message.Role.Value);
        if (message.AuthorName is { Length: > 0 } author)
        {
            writer.WriteString("name"u8, author);
        }

        var hasMedia = false;
        List<FunctionCallContent>? calls = null;
        foreach (var content in message.Contents)
        {
            switch (content)
            {
                case TextContent or TextReasoningContent:
                    break;
                case FunctionCallContent call:
                    (calls ??= []).Add(call);
                    break;
                case DataContent data when data.HasTopLevelMediaType("image"):
                case UriContent uri when uri.HasTopLevelMediaType("image"):
                    hasMedia = true;
                    break;
                default:
                    throw new NotSupportedException(
                        $"A {message.Role} message holds {content.GetType().Name} content ({(content as DataContent)?.MediaType ?? (content as UriContent)?.MediaType ?? "unknown type"}), which an OpenAI-compatible chat endpoint cannot take; send text or images.");
            }
        }

        if (hasMedia)
        {
            writer.WriteStartArray("content"u8);
            foreach (var content in message.Contents)
            {
                switch (content)
                {
                    case TextContent text:
                        writer.WriteStartObject();
                        writer.WriteString("type"u8, "text"u8);
                        writer.WriteString("text"u8, text.Text);
                        writer.WriteEndObject();
                        break;
                    case DataContent data:
                        WriteImage(writer, data.Uri);
                        break;
                    case UriContent uri:
                        WriteImage(writer, uri.Uri.ToString());
                        break;
                }
            }

            writer.WriteEndArray();
        }
        else if (calls is not null && string.IsNullOrEmpty(message.Text))
        {
            writer.WriteNull("content"u8);
        }
        else
        {
            writer.WriteString("content"u8, message.Text);
        }

        if (calls is not null)
        {
            writer.WriteStartArray("tool_calls"u8);
            foreach (var call in calls)
            {
                writer.WriteStartObject();
                writer.WriteString("id"u8, call.CallId);
                writer.WriteString("type"u8, "function"u8);
                writer.WriteStartObject("function"u8);
                writer.WriteString("name"u8, call.Name);
                writer.WriteString("arguments"u8, JsonSerializer.Serialize(call.Arguments, AIJsonUtilities.DefaultOptions));
                writer.WriteEndObject();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        writer.WriteEndObject();
    }

    private static void WriteImage(Utf8JsonWriter writer, string url)
    {
        writer.WriteStartObject();
        writer.WriteString("type"u8, "image_url"u8);
        writer.WriteStartObject("image_url"u8);
        writer.WriteString("url"u8, url);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void WriteToolResults(Utf8JsonWriter writer, ChatMessage message)
    {
        foreach (var content in message.Contents)
        {
            if (content is not FunctionResultContent result)
            {
                if (content is TextContent { Text.Length: 0 })
                {
                    continue;
                }

                throw new NotSupportedException($"A tool message may hold only function results, not {content.GetType().Name}.");
            }

            writer.WriteStartObject();
            writer.WriteString("role"u8, "tool"u8);
            writer.WriteString("tool_call_id"u8, result.CallId);
            writer.WriteString("content"u8, result.Result switch
            {
                null => string.Empty,
                string text => text,
                JsonElement element when element.ValueKind == JsonValueKind.String => element.GetString(),
                var other => JsonSerializer.Serialize(other, AIJsonUtilities.DefaultOptions),
            });
            writer.WriteEndObject();
        }
    }
}
