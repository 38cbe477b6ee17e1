using System.Text.Json;
using Microsoft.Extensions.AI;

namespace HybridInference.OpenAI.Wire;

/// <summary>
/// Reads chat completions and stream chunks as OpenAI-compatible servers really send them: empty or repeated ids,
/// <c>""</c>, <c>null</c> or <c>{}</c> deltas, usage on every chunk or only on the last, reasoning text under
/// <c>reasoning_content</c> or <c>reasoning</c>, extra fields (<c>timings</c>, <c>stop_reason</c>) ignored.
/// </summary>
internal static class ChatResponseReader
{
    /// <summary>Reads a non-streaming chat completion.</summary>
    /// <exception cref="BackendException">The body is not a chat completion (kind <see cref="BackendErrorKind.MalformedResponse"/>).</exception>
    public static ChatResponse ReadCompletion(BinaryData body, string backend)
    {
        using var document = Parse(body, backend);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object
            || !root.TryGetProperty("choices"u8, out var choices) || choices.ValueKind != JsonValueKind.Array || choices.GetArrayLength() == 0)
        {
            throw Malformed(backend, "the body has no choices");
        }

        var choice = choices[0];
        if (!choice.TryGetProperty("message"u8, out var message) || message.ValueKind != JsonValueKind.Object)
        {
            throw Malformed(backend, "the first choice has no message");
        }

        var contents = new List<AIContent>();
        if (ReadReasoning(message) is { } reasoning)
        {
            contents.Add(new TextReasoningContent(reasoning));
        }

        if (message.TryGetProperty("content"u8, out var content) && content.ValueKind == JsonValueKind.String)
        {
            contents.Add(new TextContent(content.GetString()));
        }

        if (message.TryGetProperty("refusal"u8, out var refusal) && refusal.ValueKind == JsonValueKind.String)
        {
            contents.Add(new ErrorContent(refusal.GetString()) { ErrorCode = "refusal" });
        }

        if (message.TryGetProperty("tool_calls"u8, out var toolCalls) && toolCalls.ValueKind == JsonValueKind.Array)
        {
            foreach (var call in toolCalls.EnumerateArray())
            {
                if (call.TryGetProperty("function"u8, out var function))
                {
                    contents.Add(ToFunctionCall(
                        call.TryGetProperty("id"u8, out var id) ? id.GetString() : null,
                        function.TryGetProperty("name"u8, out var name) ? name.GetString() : null,
                        function.TryGetProperty("arguments"u8, out var arguments) ? arguments.GetString() : null));
                }
            }
        }

        var usage = root.TryGetProperty("usage"u8, out var usageElement) ? ReadUsage(usageElement) : null;
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, contents) { MessageId = Id(root) })
        {
            ResponseId = Id(root),
            ModelId = String(root, "model"u8),
            CreatedAt = Created(root),
            FinishReason = choice.TryGetProperty("finish_reason"u8, out var finish) ? ToFinishReason(finish) : null,
            Usage = usage,
        };
    }

    /// <summary>Gets the error a stream event carries, if it is one (<c>{"error": ...}</c> inside a 200 stream).</summary>
    public static bool IsError(JsonElement root) => root.ValueKind == JsonValueKind.Object && root.TryGetProperty("error"u8, out _);

    /// <summary>Reads one stream chunk into an update; tool-call fragments are gathered in <paramref name="state"/>.</summary>
    public static ChatResponseUpdate ReadChunk(JsonElement root, StreamState state)
    {
        var update = new ChatResponseUpdate
        {
            ResponseId = Id(root),
            MessageId = Id(root),
            ModelId = String(root, "model"u8),
            CreatedAt = Created(root),
        };

        if (root.TryGetProperty("usage"u8, out var usageElement) && ReadUsage(usageElement) is { } usage && (usage.TotalTokenCount ?? 0) > 0)
        {
            // Legacy LocalAI sent zero usage on every chunk and TGI sends null: keep only a real one, report it at the end.
            state.Usage = usage;
        }

        if (!root.TryGetProperty("choices"u8, out var choices) || choices.ValueKind != JsonValueKind.Array || choices.GetArrayLength() == 0)
        {
            return update;
        }

        var choice = choices[0];
        if (choice.TryGetProperty("delta"u8, out var delta) && delta.ValueKind == JsonValueKind.Object)
        {
            if (delta.TryGetProperty("role"u8, out var role) && role.ValueKind == JsonValueKind.String)
            {
                update.Role = new ChatRole(role.GetString()!);
            }

            if (ReadReasoning(delta) is { Length: > 0 } reasoning)
            {
                update.Contents.Add(new TextReasoningContent(reasoning));
            }

            if (delta.TryGetProperty("content"u8, out var content) && content.ValueKind == JsonValueKind.String && content.GetString() is { Length: > 0 } text)
            {
                update.Contents.Add(new TextContent(text));
            }

            if (delta.TryGetProperty("tool_calls"u8, out var toolCalls) && toolCalls.ValueKind == JsonValueKind.Array)
            {
                foreach (var call in toolCalls.EnumerateArray())
                {
                    state.AddToolCallFragment(call);
                }
            }
        }

        if (choice.TryGetProperty("finish_reason"u8, out var finish) && ToFinishReason(finish) is { } reason)
        {
            update.FinishReason = reason;
            state.Finished = true;
            foreach (var call in state.TakeToolCalls())
            {
                update.Contents.Add(call);
            }
        }

        return update;
    }

    /// <summary>Maps the finish reasons servers send, TGI's and vLLM's extras included.</summary>
    public static ChatFinishReason? ToFinishReason(JsonElement finish) =>
        finish.ValueKind != JsonValueKind.String ? null : finish.GetString() switch
        {
            "stop" or "stop_sequence" or "eos_token" or "end_turn" => ChatFinishReason.Stop,
            "length" or "max_tokens" => ChatFinishReason.Length,
            "tool_calls" or "function_call" => ChatFinishReason.ToolCalls,
            "content_filter" => ChatFinishReason.ContentFilter,
            null or "" => null,
            var other => new ChatFinishReason(other),
        };

    internal static FunctionCallContent ToFunctionCall(string? id, string? name, string? arguments)
    {
        IDictionary<string, object?>? parsed = null;
        Exception? error = null;
        if (!string.IsNullOrWhiteSpace(arguments))
        {
            try
            {
                parsed = JsonSerializer.Deserialize<Dictionary<string, object?>>(arguments, AIJsonUtilities.DefaultOptions);
            }
            catch (JsonException ex)
            {
                error = ex; // Kept on the content, as Microsoft.Extensions.AI does, so the caller can see the model's broken arguments.
            }
        }

        return new FunctionCallContent(id ?? string.Empty, name ?? string.Empty, parsed) { Exception = error };
    }

    private static JsonDocument Parse(BinaryData body, string backend)
    {
        if (body.ToMemory().IsEmpty)
        {
            throw Malformed(backend, "the body is empty");
        }

        try
        {
            return JsonDocument.Parse(body.ToMemory());
        }
        catch (JsonException ex)
        {
            throw new BackendException(BackendErrorKind.MalformedResponse, $"Backend '{backend}' answered with a body that is not JSON: {ex.Message}", innerException: ex);
        }
    }

    private static BackendException Malformed(string backend, string what) =>
        new(BackendErrorKind.MalformedResponse, $"Backend '{backend}' answered with a body that is not a chat completion: {what}.");

    private static string? ReadReasoning(JsonElement message) =>
        message.TryGetProperty("reasoning_content"u8, out var r1) && r1.ValueKind == JsonValueKind.String ? r1.GetString()
        : message.TryGetProperty("reasoning"u8, out var r2) && r2.ValueKind == JsonValueKind.String ? r2.GetString()
        : null;

    private static UsageDetails? ReadUsage(JsonElement usage)
    {
        if (usage.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var details = new UsageDetails
        {
            InputTokenCount = Long(usage, "prompt_tokens"u8),
            OutputTokenCount = Long(usage, "completion_tokens"u8),
            TotalTokenCount = Long(usage, "total_tokens"u8),
        };
        details.TotalTokenCount ??= details.InputTokenCount + details.OutputTokenCount;
        if (usage.TryGetProperty("prompt_tokens_details"u8, out var prompt) && prompt.ValueKind == JsonValueKind.Object)
        {
            details.CachedInputTokenCount = Long(prompt, "cached_tokens"u8);
        }

        if (usage.TryGetProperty("completion_tokens_details"u8, out var completion) && completion.ValueKind == JsonValueKind.Object)
        {
            details.ReasoningTokenCount = Long(completion, "reasoning_tokens"u8);
        }

        return details;
    }

    private static long? Long(JsonElement element, ReadOnlySpan<byte> name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number) ? number : null;

    private static string? String(JsonElement element, ReadOnlySpan<byte> name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    // TGI sends "" as every id: no id at all is the honest reading.
    private static string? Id(JsonElement root) => String(root, "id"u8) is { Length: > 0 } id ? id : null;

    private static DateTimeOffset? Created(JsonElement root) =>
        Long(root, "created"u8) is { } seconds and > 0 ? DateTimeOffset.FromUnixTimeSeconds(seconds) : null;
}
