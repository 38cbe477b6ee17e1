using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;
using Xunit;

namespace HybridInference.TestUtilities;

/// <summary>
/// What servers echo in their errors, for the tests that check it never gets further: an API key in every
/// recognisable form, and each kind of text a request sends, with a responder that quotes it back from the wire.
/// </summary>
public static class Echoes
{
    /// <summary>A key long enough for its derived forms to be searched, with characters that URL-encoding and base64 change.</summary>
    public const string Key = "sk-proj-Q2xhc3MtU2VudGluZWw+/SENTINEL=7d6c5b4a";

    /// <summary>Every recognisable form of <paramref name="key"/> a server might echo: casings, encodings, masks, fragments.</summary>
    public static IReadOnlyDictionary<string, string> KeyForms(string key)
    {
        static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s));
        static string Url(string s) => s.Replace('+', '-').Replace('/', '_');
        return new Dictionary<string, string>
        {
            ["exact"] = key,
            ["lower-case"] = key.ToLowerInvariant(),
            ["upper-case"] = key.ToUpperInvariant(),
            ["mixed-case"] = string.Concat(key.Select((c, i) => i % 2 == 0 ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c))),
            ["base64"] = B64(key),
            ["base64-unpadded"] = B64(key).TrimEnd('='),
            ["base64url"] = Url(B64(key)),
            ["base64url-unpadded"] = Url(B64(key)).TrimEnd('='),
            ["base64-of-bearer"] = B64("Bearer " + key),
            ["base64-of-bearer-unpadded"] = B64("Bearer " + key).TrimEnd('='),
            ["base64url-of-bearer"] = Url(B64("Bearer " + key)),
            ["base64url-of-bearer-unpadded"] = Url(B64("Bearer " + key)).TrimEnd('='),
            ["base64-of-basic-credentials"] = B64("api:" + key),
            ["url-encoded"] = Uri.EscapeDataString(key),
            ["url-encoded-lower-hex"] = Uri.EscapeDataString(key).Replace("%2B", "%2b", StringComparison.Ordinal).Replace("%2F", "%2f", StringComparison.Ordinal),
            ["url-encoded-bearer"] = Uri.EscapeDataString("Bearer " + key),
            ["hex"] = Convert.ToHexString(Encoding.UTF8.GetBytes(key)).ToLowerInvariant(),
            ["masked-prefix-stars"] = key[..12] + "****",
            ["masked-prefix-dots-tail"] = key[..6] + "..." + key[^3..],
            ["masked-openai-style"] = key[..8] + new string('*', 32) + key[^4..],
            ["masked-ellipsis-tail"] = "…" + key[^4..],
            ["masked-x-tail"] = "xxxxxxxx" + key[^4..],
            ["masked-bullets-tail"] = "••••" + key[^4..],
            ["masked-lower-case"] = key[..10].ToLowerInvariant() + "****",
            ["prefix-alone"] = key[..14],
            ["tail-alone"] = key[^12..],
            ["middle-fragment"] = key[12..26],
            ["truncated"] = key[..^5],
        };
    }

    /// <summary>The names of <see cref="KeyForms"/>, for theories.</summary>
    public static TheoryData<string> KeyFormNames()
    {
        var data = new TheoryData<string>();
        foreach (var name in KeyForms(Key).Keys)
        {
            data.Add(name);
        }

        return data;
    }

    /// <summary>One kind of text a request sends, carrying <see cref="Sentinel"/>.</summary>
    public sealed record RequestKind(string Name, IReadOnlyList<ChatMessage> Messages, ChatOptions? Options, string Sentinel);

    /// <summary>The kinds of text a request can send, each with a sentinel of its own.</summary>
    public static IReadOnlyDictionary<string, RequestKind> RequestKinds()
    {
        static ChatMessage User(string text) => new(ChatRole.User, text);
        static AIFunctionDeclaration Tool(string name, string description, string property) =>
            AIFunctionFactory.CreateDeclaration(
                name,
                description,
                JsonDocument.Parse($$$"""{"type":"object","properties":{"{{{property}}}":{"type":"string","description":"the record to look up"}},"required":["{{{property}}}"]}""").RootElement);
        static ChatMessage[] ToolExchange(IDictionary<string, object?> arguments, object? result) =>
        [
            User("Look the record up."),
            new(ChatRole.Assistant, [new FunctionCallContent("call_1", "lookup", arguments)]),
            new(ChatRole.Tool, [new FunctionResultContent("call_1", result)]),
        ];

        var kinds = new List<RequestKind>
        {
            new("user text", [User("Summarise SENTINEL-USER-TEXT-a1b2c3 for me.")], null, "SENTINEL-USER-TEXT-a1b2c3"),
            new("instructions", [User("Hello there.")], new ChatOptions { Instructions = "Answer as SENTINEL-INSTRUCTIONS-d4e5f6 would." }, "SENTINEL-INSTRUCTIONS-d4e5f6"),
            new("system message", [new(ChatRole.System, "You are SENTINEL-SYSTEM-MESSAGE-0a9b8c, terse."), User("Hello there.")], null, "SENTINEL-SYSTEM-MESSAGE-0a9b8c"),
            new("assistant history", [User("Hi."), new(ChatRole.Assistant, "Earlier I said SENTINEL-ASSISTANT-77e6d5."), User("Go on.")], null, "SENTINEL-ASSISTANT-77e6d5"),
            new("author name", [new(ChatRole.User, "Hello there.") { AuthorName = "SENTINEL_AUTHOR_NAME_3c2b1a" }], null, "SENTINEL_AUTHOR_NAME_3c2b1a"),
            new("tool-call arguments", ToolExchange(new Dictionary<string, object?> { ["record"] = "SENTINEL-TOOL-ARGUMENT-5f4e3d" }, "found"), null, "SENTINEL-TOOL-ARGUMENT-5f4e3d"),
            new("tool result text", ToolExchange(new Dictionary<string, object?> { ["record"] = "r1" }, "The record reads SENTINEL-TOOL-RESULT-TEXT-9e8d7c."), null, "SENTINEL-TOOL-RESULT-TEXT-9e8d7c"),
            new("tool result object", ToolExchange(new Dictionary<string, object?> { ["record"] = "r1" }, new Dictionary<string, object?> { ["diagnosis"] = "SENTINEL-TOOL-RESULT-JSON-6b5a49" }), null, "SENTINEL-TOOL-RESULT-JSON-6b5a49"),
            new("tool name", [User("Hello there.")], new ChatOptions { Tools = [Tool("sentinel_tool_name_lookup_8a7b6c", "Looks a record up.", "record")] }, "sentinel_tool_name_lookup_8a7b6c"),
            new("tool description", [User("Hello there.")], new ChatOptions { Tools = [Tool("lookup", "Looks up SENTINEL-TOOL-DESCRIPTION-2d3e4f records.", "record")] }, "SENTINEL-TOOL-DESCRIPTION-2d3e4f"),
            new("tool schema", [User("Hello there.")], new ChatOptions { Tools = [Tool("lookup", "Looks a record up.", "sentinel_schema_property_1f2e3d")] }, "sentinel_schema_property_1f2e3d"),
            new(
                "response schema",
                [User("Hello there.")],
                new ChatOptions { ResponseFormat = ChatResponseFormat.ForJsonSchema(JsonDocument.Parse("""{"type":"object","properties":{"sentinel_response_property_4c5d6e":{"type":"string"}}}""").RootElement, "person") },
                "sentinel_response_property_4c5d6e"),
        };
        return kinds.ToDictionary(k => k.Name);
    }

    /// <summary>The names of <see cref="RequestKinds"/>, for theories.</summary>
    public static TheoryData<string> RequestKindNames(params string[] except)
    {
        var data = new TheoryData<string>();
        foreach (var name in RequestKinds().Keys.Except(except))
        {
            data.Add(name);
        }

        return data;
    }

    /// <summary>
    /// Answers with an error that quotes the request body as it arrived, from a little before <paramref name="sentinel"/>
    /// to a little after it, the way servers quote the input they reject.
    /// </summary>
    /// <param name="sentinel">What to find in the body.</param>
    /// <param name="respond">Makes the responder from the quote (already JSON-escaped).</param>
    public static Func<HttpContext, Task> QuotingTheBody(string sentinel, Func<string, Func<HttpContext, Task>> respond) => context =>
    {
        var body = LoopbackServer.BodyOf(context);
        var at = body.IndexOf(sentinel, StringComparison.Ordinal);
        var quote = at < 0 ? "(nothing)" : body[Math.Max(0, at - 12)..Math.Min(body.Length, at + sentinel.Length + 12)];
        var escaped = JsonSerializer.Serialize(quote)[1..^1];
        return respond(escaped)(context);
    };

    /// <summary>JSON-escapes a text for a hand-written error body (without the quotes).</summary>
    public static string Escape(string text) => JsonSerializer.Serialize(text)[1..^1];
}
