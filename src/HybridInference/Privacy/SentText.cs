using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace HybridInference.Privacy;

/// <summary>
/// Walks every piece of text a request sends to a backend, as the wire writers send it, and, for a rewriting
/// visitor, builds the copy of the request with the texts it returns. Scanning and redaction both go through here,
/// so they cannot diverge.
/// </summary>
/// <remarks>
/// <para>
/// The pieces: <see cref="ChatOptions.Instructions"/>, stop sequences, each tool's name, description and parameter
/// and return schemas, the required tool's name, the JSON response format's name, description and schema; and per
/// message its author name and its contents: text, reasoning text, tool calls (name, and the arguments serialised as
/// the writers serialise them: every property name and every string and number in them), tool results (a string as
/// it is; any other object serialised, then the same), URIs (unescaped), text-like data (decoded as UTF-8) and the
/// name of any data. Other content is serialised with <see cref="AIJsonUtilities.DefaultOptions"/> and scanned; it
/// cannot be rewritten, so redacting personal data found in it fails (and nothing is sent). Not looked into: images,
/// audio and other binary data, opaque provider data (reasoning signatures, hosted file ids), and
/// <see cref="ChatOptions.RawRepresentationFactory"/>.
/// </para>
/// <para>
/// Copies only: the caller's messages, contents and options are never changed. A rewritten message has no
/// <see cref="ChatMessage.RawRepresentation"/>, so no client can send the original instead.
/// </para>
/// </remarks>
internal static partial class SentText
{
    /// <summary>Walks the options.</summary>
    /// <returns>A copy (through <see cref="ChatOptions.Clone"/>, so request state is kept) with the rewritten texts; <see langword="null"/> when nothing changed.</returns>
    public static ChatOptions? Walk(ChatOptions? options, SentTextVisitor visitor)
    {
        if (options is null)
        {
            return null;
        }

        var instructions = VisitText(options.Instructions, visitor);
        if (visitor.Done)
        {
            return null;
        }

        List<string>? stops = null;
        if (options.StopSequences is { Count: > 0 } stopSequences)
        {
            for (var i = 0; i < stopSequences.Count && !visitor.Done; i++)
            {
                if (VisitText(stopSequences[i], visitor) is { } stop)
                {
                    (stops ??= [.. stopSequences])[i] = stop;
                }
            }
        }

        List<AITool>? tools = null;
        if (options.Tools is { Count: > 0 } optionTools)
        {
            for (var i = 0; i < optionTools.Count && !visitor.Done; i++)
            {
                if (WalkTool(optionTools[i], visitor) is { } tool)
                {
                    (tools ??= [.. optionTools])[i] = tool;
                }
            }
        }

        ChatToolMode? toolMode = null;
        if (!visitor.Done && options.ToolMode is RequiredChatToolMode { RequiredFunctionName: { } required } &&
            VisitText(required, visitor) is { } requiredName)
        {
            toolMode = ChatToolMode.RequireSpecific(requiredName);
        }

        ChatResponseFormat? format = null;
        if (!visitor.Done && options.ResponseFormat is ChatResponseFormatJson json)
        {
            var name = VisitText(json.SchemaName, visitor);
            var description = visitor.Done ? null : VisitText(json.SchemaDescription, visitor);
            var schema = visitor.Done || json.Schema is not { } jsonSchema ? null : WalkJson(jsonSchema, visitor);
            if (name is not null || description is not null || schema is not null)
            {
                format = new ChatResponseFormatJson(schema ?? json.Schema, name ?? json.SchemaName, description ?? json.SchemaDescription);
            }
        }

        if (visitor.Done || (instructions ?? (object?)stops ?? (object?)tools ?? (object?)toolMode ?? format) is null)
        {
            return null;
        }

        var copy = options.Clone();
        copy.Instructions = instructions ?? options.Instructions;
        copy.StopSequences = stops ?? options.StopSequences;
        copy.Tools = tools ?? options.Tools;
        copy.ToolMode = toolMode ?? options.ToolMode;
        copy.ResponseFormat = format ?? options.ResponseFormat;
        return copy;
    }

    /// <summary>Walks the messages.</summary>
    /// <returns>A copy of the list with the rewritten messages; <see langword="null"/> when nothing changed (or the visitor does not rewrite).</returns>
    public static IList<ChatMessage>? Walk(IEnumerable<ChatMessage> messages, SentTextVisitor visitor)
    {
        if (!visitor.Rewrites)
        {
            foreach (var message in messages)
            {
                WalkMessage(message, visitor);
                if (visitor.Done)
                {
                    break;
                }
            }

            return null;
        }

        var list = messages as IList<ChatMessage> ?? [.. messages];
        List<ChatMessage>? copy = null;
        for (var i = 0; i < list.Count; i++)
        {
            if (WalkMessage(list[i], visitor) is { } rewritten)
            {
                (copy ??= [.. list])[i] = rewritten;
            }
        }

        return copy;
    }

    private static ChatMessage? WalkMessage(ChatMessage message, SentTextVisitor visitor)
    {
        var author = VisitText(message.AuthorName, visitor);
        List<AIContent>? contents = null;
        var original = message.Contents;
        var texts = 0;
        for (var i = 0; i < original.Count && !visitor.Done; i++)
        {
            texts += original[i] is TextContent ? 1 : 0;
            if (WalkContent(original[i], visitor) is { } content)
            {
                (contents ??= [.. original])[i] = content;
            }
        }

        if (texts > 1 && !visitor.Done)
        {
            contents = WalkJoinedText(contents ?? original, visitor) ?? contents;
        }

        if (visitor.Done || (author is null && contents is null))
        {
            return null;
        }

        // No RawRepresentation: a client that prefers it would send the original.
        return new ChatMessage(message.Role, contents ?? [.. original])
        {
            AuthorName = author ?? message.AuthorName,
            MessageId = message.MessageId,
            CreatedAt = message.CreatedAt,
            AdditionalProperties = message.AdditionalProperties,
        };
    }

    /// <summary>
    /// Walks a message's texts joined, as a writer that sends <see cref="ChatMessage.Text"/> sends them, so that
    /// personal data split over several text contents is found too; rewritten, the texts become one, where the first was.
    /// </summary>
    private static List<AIContent>? WalkJoinedText(IList<AIContent> contents, SentTextVisitor visitor)
    {
        var joined = new StringBuilder();
        foreach (var content in contents)
        {
            if (content is TextContent text)
            {
                joined.Append(text.Text);
            }
        }

        if (VisitText(joined.ToString(), visitor) is not { } rewritten)
        {
            return null;
        }

        var result = new List<AIContent>(contents.Count);
        var first = true;
        foreach (var content in contents)
        {
            if (content is not TextContent)
            {
                result.Add(content);
            }
            else if (first)
            {
                result.Add(new TextContent(rewritten));
                first = false;
            }
        }

        return result;
    }

    private static AIContent? WalkContent(AIContent content, SentTextVisitor visitor)
    {
        switch (content)
        {
            case TextContent text:
                return VisitText(text.Text, visitor) is { } newText ? new TextContent(newText) { AdditionalProperties = text.AdditionalProperties } : null;

            case TextReasoningContent reasoning:
                return VisitText(reasoning.Text, visitor) is { } newReasoning
                    ? new TextReasoningContent(newReasoning) { ProtectedData = reasoning.ProtectedData, AdditionalProperties = reasoning.AdditionalProperties }
                    : null;

            case FunctionCallContent call:
                {
                    // The call id is sent too ("id", and "tool_call_id" on its result), so it is scanned like any text;
                    // the same id redacts to the same text in the call and in its result, so they still pair.
                    var callId = VisitText(call.CallId, visitor);
                    var name = VisitText(call.Name, visitor);
                    var arguments = visitor.Done || call.Arguments is null
                        ? null
                        : WalkJson(JsonSerializer.SerializeToElement(call.Arguments, AIJsonUtilities.DefaultOptions), visitor);
                    return callId is null && name is null && arguments is null
                        ? null
                        : new FunctionCallContent(callId ?? call.CallId, name ?? call.Name, arguments is { } json ? ToArguments(json) : call.Arguments);
                }

            case FunctionResultContent result:
                {
                    object? newResult = result.Result switch
                    {
                        null => null,
                        string text => VisitText(text, visitor),
                        JsonElement { ValueKind: JsonValueKind.String } element => VisitText(element.GetString(), visitor),
                        JsonElement element => WalkJson(element, visitor),
                        var other => WalkJson(JsonSerializer.SerializeToElement(other, AIJsonUtilities.DefaultOptions), visitor),
                    };
                    var resultCallId = VisitText(result.CallId, visitor);
                    return newResult is null && resultCallId is null ? null : new FunctionResultContent(resultCallId ?? result.CallId, newResult ?? result.Result);
                }

            case UriContent uri:
                {
                    var unescaped = Uri.UnescapeDataString(uri.Uri.OriginalString);
                    return VisitText(unescaped, visitor) is { } newUri ? new UriContent(new Uri(newUri, UriKind.Absolute), uri.MediaType) : null;
                }

            case DataContent data:
                {
                    var name = VisitText(data.Name, visitor);
                    var text = visitor.Done || !IsText(data.MediaType) ? null : VisitText(Encoding.UTF8.GetString(data.Data.Span), visitor);
                    return name is null && text is null
                        ? null
                        : new DataContent(text is null ? data.Data : Encoding.UTF8.GetBytes(text), data.MediaType) { Name = name ?? data.Name };
                }

            case UsageContent or HostedFileContent:
                return null; // Token counts, and an id the provider gave out: nothing of the caller's.

            default:
                if (WalkJson(JsonSerializer.SerializeToElement(content, AIJsonUtilities.DefaultOptions), visitor) is not null)
                {
                    throw new NotSupportedException($"Personal data was found in {content.GetType().Name} content, which cannot be redacted.");
                }

                return null;
        }
    }

    private static AITool? WalkTool(AITool tool, SentTextVisitor visitor)
    {
        var name = VisitText(tool.Name, visitor);
        var description = visitor.Done ? null : VisitText(tool.Description, visitor);
        JsonElement? schema = null;
        JsonElement? returnSchema = null;
        if (tool is AIFunctionDeclaration function && !visitor.Done)
        {
            schema = WalkJson(function.JsonSchema, visitor);
            if (function.ReturnJsonSchema is { } returns && !visitor.Done)
            {
                returnSchema = WalkJson(returns, visitor);
            }
        }

        if (name is null && description is null && schema is null && returnSchema is null)
        {
            return null;
        }

        if (tool is not AIFunctionDeclaration declaration)
        {
            throw new NotSupportedException($"Personal data was found in the {tool.GetType().Name} tool, which cannot be redacted.");
        }

        return AIFunctionFactory.CreateDeclaration(
            name ?? declaration.Name, description ?? declaration.Description, schema ?? declaration.JsonSchema, returnSchema ?? declaration.ReturnJsonSchema);
    }

    private static string? VisitText(string? text, SentTextVisitor visitor) =>
        string.IsNullOrEmpty(text) || visitor.Done ? null : visitor.Visit(text);

    private static bool IsText(string mediaType) =>
        mediaType.StartsWith("text/", StringComparison.OrdinalIgnoreCase) ||
        mediaType.EndsWith("/json", StringComparison.OrdinalIgnoreCase) || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase) ||
        mediaType.EndsWith("/xml", StringComparison.OrdinalIgnoreCase) || mediaType.EndsWith("+xml", StringComparison.OrdinalIgnoreCase) ||
        mediaType.EndsWith("/yaml", StringComparison.OrdinalIgnoreCase) || mediaType.EndsWith("/x-yaml", StringComparison.OrdinalIgnoreCase) ||
        mediaType.EndsWith("/csv", StringComparison.OrdinalIgnoreCase) || mediaType.EndsWith("/x-ndjson", StringComparison.OrdinalIgnoreCase);
}
