using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace HybridInference.Internal;

/// <summary>
/// Rejects requests that no backend could serve, with an <see cref="ArgumentException"/> that names the problem (the
/// message index or the option), before anything is sent: such a request is the caller's mistake, so it never counts
/// against a backend's health or the circuit breaker, and it is never escalated.
/// </summary>
/// <remarks>
/// What is refused is what every backend would reject: the OpenAI-compatible wire writer and the Anthropic provider
/// are the measure. Sampling values must be finite and in range (temperature 0 to 2, top_p above 0 up to 1, penalties
/// -2 to 2, top_k at least 1), <see cref="ChatOptions.MaxOutputTokens"/> at least 1, stop sequences non-empty (how many a
/// backend takes differs: OpenAI 4, local servers more, so the count is left to the backend), tools non-null with unique valid names, a required tool among the tools;
/// messages carry only text, reasoning, images, PDF documents, tool calls (in assistant messages, with arguments that
/// serialise to JSON) and tool results (with nothing else beside them), under the roles system, user, assistant and tool.
/// </remarks>
internal static class RequestGuard
{
    /// <summary>The longest tool or schema name (OpenAI and Anthropic: 1 to 64 of letters, digits, '_' and '-').</summary>
    public const int MaxNameLength = 64;

    /// <exception cref="ArgumentNullException"><paramref name="messages"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The messages or the options hold something no backend can take; the message says what and where.</exception>
    public static void ThrowIfInvalid(IEnumerable<ChatMessage> messages, ChatOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (messages is IReadOnlyList<ChatMessage> list)
        {
            for (var i = 0; i < list.Count; i++)
            {
                ThrowIfInvalid(list[i], i);
            }

            if (list.Count == 0)
            {
                throw new ArgumentException("The request has no messages; at least one is required.", nameof(messages));
            }
        }
        else
        {
            var index = 0;
            foreach (var message in messages)
            {
                ThrowIfInvalid(message, index++);
            }

            if (index == 0)
            {
                throw new ArgumentException("The request has no messages; at least one is required.", nameof(messages));
            }
        }

        if (options is not null)
        {
            ThrowIfInvalid(options);
        }
    }

    /// <summary>Refuses options a backend would reject: sampling values out of range, a bad output limit, bad stops, tools or tool mode.</summary>
    private static void ThrowIfInvalid(ChatOptions options)
    {
        CheckRange(options.Temperature, 0, 2, inclusiveMinimum: true, "Temperature");
        CheckRange(options.TopP, 0, 1, inclusiveMinimum: false, "TopP");
        CheckRange(options.FrequencyPenalty, -2, 2, inclusiveMinimum: true, "FrequencyPenalty");
        CheckRange(options.PresencePenalty, -2, 2, inclusiveMinimum: true, "PresencePenalty");

        if (options.TopK is < 1 and var topK)
        {
            throw InvalidOption($"ChatOptions.TopK is {topK}; it must be at least 1 (leave it null for the backend's default).");
        }

        if (options.MaxOutputTokens is < 1 and var maxOutputTokens)
        {
            throw InvalidOption($"ChatOptions.MaxOutputTokens is {maxOutputTokens}; it must be at least 1 (leave it null for the backend's default).");
        }

        if (options.StopSequences is { } stops)
        {
            for (var i = 0; i < stops.Count; i++)
            {
                if (string.IsNullOrEmpty(stops[i]))
                {
                    throw InvalidOption($"ChatOptions.StopSequences[{i}] is {(stops[i] is null ? "null" : "empty")}; every stop sequence must have text.");
                }
            }
        }

        if (options.ResponseFormat is ChatResponseFormatJson { SchemaName: { } schemaName } && !string.IsNullOrWhiteSpace(schemaName) && !IsValidName(schemaName))
        {
            throw InvalidOption($"The JSON response format's schema name '{schemaName}' is not valid: use 1 to {MaxNameLength} letters, digits, '_' or '-'.");
        }

        var tools = options.Tools;
        if (tools is not null)
        {
            for (var i = 0; i < tools.Count; i++)
            {
                var tool = tools[i] ?? throw InvalidOption($"ChatOptions.Tools[{i}] is null.");
                if (!IsValidName(tool.Name))
                {
                    throw InvalidOption($"ChatOptions.Tools[{i}] is named '{tool.Name}', which is not a valid tool name: use 1 to {MaxNameLength} letters, digits, '_' or '-'.");
                }

                for (var j = 0; j < i; j++)
                {
                    if (string.Equals(tools[j].Name, tool.Name, StringComparison.Ordinal))
                    {
                        throw InvalidOption($"ChatOptions.Tools[{i}] and ChatOptions.Tools[{j}] are both named '{tool.Name}'; tool names must be unique.");
                    }
                }
            }
        }

        if (options.ToolMode is RequiredChatToolMode required)
        {
            if (tools is not { Count: > 0 })
            {
                throw InvalidOption("ChatOptions.ToolMode requires a tool call, but ChatOptions.Tools is empty.");
            }

            if (required.RequiredFunctionName is { } name && !HasTool(tools, name))
            {
                throw InvalidOption($"ChatOptions.ToolMode requires the tool '{name}', which is not among ChatOptions.Tools.");
            }
        }
    }

    private static bool HasTool(IList<AITool> tools, string name)
    {
        for (var i = 0; i < tools.Count; i++)
        {
            if (string.Equals(tools[i].Name, name, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static void CheckRange(float? value, float minimum, float maximum, bool inclusiveMinimum, string name)
    {
        if (value is not { } v)
        {
            return;
        }

        if (!float.IsFinite(v) || v > maximum || v < minimum || (!inclusiveMinimum && v == minimum))
        {
            var range = inclusiveMinimum ? $"from {minimum} to {maximum}" : $"above {minimum} and at most {maximum}";
            throw InvalidOption(string.Create(CultureInfo.InvariantCulture, $"ChatOptions.{name} is {v}; it must be a finite number {range}."));
        }
    }

    /// <summary>Refuses a null message, an unknown role, a message that carries nothing, and content no backend can take.</summary>
    private static void ThrowIfInvalid(ChatMessage? message, int index)
    {
        if (message is null)
        {
            throw Invalid($"Message {index} is null; the request's message list may not contain null messages.");
        }

        var role = message.Role;
        var isTool = role == ChatRole.Tool;
        if (!isTool && role != ChatRole.User && role != ChatRole.Assistant && role != ChatRole.System)
        {
            throw Invalid($"Message {index} has the role '{role}', which no backend takes; use system, user, assistant or tool.");
        }

        var contents = message.Contents;
        var hasContent = false;
        var hasResults = false;
        var hasOther = false;
        for (var i = 0; i < contents.Count; i++)
        {
            switch (contents[i])
            {
                case null:
                    throw Invalid($"Message {index} (role {role}) holds a null content item at position {i}.");
                case TextContent text:
                    if (!string.IsNullOrWhiteSpace(text.Text))
                    {
                        hasContent = hasOther = true;
                    }

                    break;
                case TextReasoningContent:
                    hasContent = hasOther = true;
                    break;
                case DataContent data when IsTakenMedia(data.MediaType):
                case UriContent uri when IsTakenMedia(uri.MediaType):
                    hasContent = hasOther = true;
                    break;
                case FunctionCallContent call:
                    if (role != ChatRole.Assistant)
                    {
                        throw Invalid($"Message {index} (role {role}) holds a call of tool '{call.Name}'; only assistant messages may hold tool calls.");
                    }

                    if (!IsSerializable(call.Arguments, out var argumentsError))
                    {
                        throw Invalid($"Message {index} holds a call of tool '{call.Name}' whose arguments cannot be serialised to JSON: {argumentsError.Message}", argumentsError);
                    }

                    hasContent = hasOther = true;
                    break;
                case FunctionResultContent result:
                    if (result.Result is not (null or string or JsonElement) && !IsSerializable(result.Result, out var resultError))
                    {
                        throw Invalid($"Message {index} holds the result of tool call '{result.CallId}', which cannot be serialised to JSON: {resultError.Message}", resultError);
                    }

                    hasContent = hasResults = true;
                    break;
                case DataContent data:
                    throw Invalid($"Message {index} (role {role}) holds {data.MediaType} data, which no backend takes; send text, images (image/*) or PDF documents.");
                case UriContent uri:
                    throw Invalid($"Message {index} (role {role}) holds a link to {uri.MediaType} content, which no backend takes; send text, images (image/*) or PDF documents.");
                case var other:
                    throw Invalid($"Message {index} (role {role}) holds {other.GetType().Name} content, which no backend takes; send text, images, PDF documents, tool calls or tool results.");
            }
        }

        if (!hasContent)
        {
            throw Invalid(
                $"Message {index} (role {role}) has no content: no text, tool call, tool result or other content. Remove it or give it content.");
        }

        if (hasResults && hasOther)
        {
            throw Invalid($"Message {index} (role {role}) holds tool results beside other content; put tool results in a message of their own.");
        }

        if (isTool && !hasResults)
        {
            throw Invalid($"Message {index} has the role tool but holds no tool result; a tool message carries FunctionResultContent.");
        }
    }

    /// <summary>Media some backend takes: images (every backend that takes media), PDF documents (Anthropic).</summary>
    private static bool IsTakenMedia(string mediaType) =>
        mediaType.StartsWith("image/", StringComparison.OrdinalIgnoreCase)
        || string.Equals(mediaType, "application/pdf", StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether the writers can turn <paramref name="value"/> into JSON (a cycle, a delegate or a pointer cannot be).</summary>
    private static bool IsSerializable(object? value, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out Exception? error)
    {
        error = null;
        if (value is null)
        {
            return true;
        }

        try
        {
            // The same call the wire writer makes, into nothing: only whether it succeeds matters here.
            JsonSerializer.Serialize(Stream.Null, value, AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(object)));
            return true;
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException or ArgumentException)
        {
            error = ex;
            return false;
        }
    }

    /// <summary>Whether <paramref name="name"/> is 1 to 64 of ASCII letters, digits, '_' and '-': what OpenAI and Anthropic take for tool names.</summary>
    private static bool IsValidName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxNameLength)
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('_' or '-'))
            {
                return false;
            }
        }

        return true;
    }

    private static ArgumentException Invalid(string message, Exception? inner = null) => new(message, "messages", inner);

    private static ArgumentException InvalidOption(string message) => new(message, "options");
}
