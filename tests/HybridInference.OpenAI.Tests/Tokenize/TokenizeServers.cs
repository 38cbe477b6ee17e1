using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace HybridInference.OpenAI.Tests.Tokenize;

/// <summary>
/// Loopback stand-ins for the servers' tokenize endpoints, answering in the forms of the fixtures
/// (<c>Fixtures/*/tokenize.md</c>, <c>tokenize-chat.json</c>, <c>chat-tokenize.json</c>): llama.cpp's <c>/tokenize</c>
/// and <c>/apply-template</c>, LocalAI's <c>/v1/tokenize</c>, vLLM's <c>/tokenize</c> chat form, TGI's <c>/chat_tokenize</c>.
/// Their tokenizer is a stand-in too, so that a test knows every count: one token per space-separated word, or per
/// <c>charactersPerToken</c> characters, plus one for the start of the prompt when <c>add_special</c> is set.
/// </summary>
internal static class TokenizeServers
{
    /// <summary>Counts a text as the stand-in tokenizer does.</summary>
    public static int Count(string text, int? charactersPerToken) =>
        charactersPerToken is { } per ? (text.Length + per - 1) / per : text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;

    /// <summary>
    /// llama.cpp: <c>/tokenize</c> answers <c>{"tokens": [...]}</c>; <c>/apply-template</c> renders a Llama-2 style
    /// template (<c>&lt;&lt;SYS&gt;&gt; s &lt;&lt;/SYS&gt;&gt;</c>, <c>&lt;s&gt;[INST] u [/INST]</c>, <c>a &lt;/s&gt;</c>, joined by spaces)
    /// as <c>{"prompt": ...}</c>, or answers 404 when <paramref name="applyTemplate"/> is false. Anything else: <paramref name="other"/>, or 404.
    /// </summary>
    public static Func<HttpContext, Task> LlamaCpp(int? charactersPerToken = null, bool applyTemplate = true, Func<HttpContext, Task>? other = null) => context =>
    {
        var body = LoopbackServer.BodyOf(context);
        switch (context.Request.Path.Value)
        {
            case "/tokenize":
                using (var request = JsonDocument.Parse(body))
                {
                    var content = request.RootElement.GetProperty("content").GetString()!;
                    var special = request.RootElement.TryGetProperty("add_special", out var add) && add.GetBoolean();
                    return Tokens(context, Count(content, charactersPerToken) + (special ? 1 : 0));
                }

            case "/apply-template" when applyTemplate:
                using (var request = JsonDocument.Parse(body))
                {
                    var parts = request.RootElement.GetProperty("messages").EnumerateArray().Select(m => (m.GetProperty("role").GetString(), m.GetProperty("content").GetString())
                        switch
                        {
                            ("system", var s) => $"<<SYS>> {s} <</SYS>>",
                            ("user", var u) => $"<s>[INST] {u} [/INST]",
                            (_, var a) => $"{a} </s>",
                        });
                    return Respond.Json(JsonSerializer.Serialize(new { prompt = string.Join(' ', parts) }))(context);
                }

            default:
                return (other ?? NotFound)(context);
        }
    };

    /// <summary>LocalAI: <c>/v1/tokenize</c> <c>{model, content}</c> answers <c>{"tokens": [...]}</c> (a 400 without a model, as its handler does).</summary>
    public static Func<HttpContext, Task> LocalAI(int? charactersPerToken = null, Func<HttpContext, Task>? other = null) => context =>
    {
        if (context.Request.Path.Value != "/v1/tokenize")
        {
            return (other ?? NotFound)(context);
        }

        using var request = JsonDocument.Parse(LoopbackServer.BodyOf(context));
        if (!request.RootElement.TryGetProperty("model", out var model) || model.GetString() is not { Length: > 0 })
        {
            return Respond.File(Fixture.Path("localai", "error-bad-request.400.json"))(context);
        }

        return Tokens(context, Count(request.RootElement.GetProperty("content").GetString()!, charactersPerToken));
    };

    /// <summary>vLLM: <c>/tokenize</c> with <c>messages</c> answers, in its fixture's form, <paramref name="count"/> of the request body tokens.</summary>
    public static Func<HttpContext, Task> Vllm(Func<string, int> count, Func<HttpContext, Task>? other = null) => context =>
    {
        if (context.Request.Path.Value != "/tokenize")
        {
            return (other ?? NotFound)(context);
        }

        var n = count(LoopbackServer.BodyOf(context));
        return Respond.Json(JsonSerializer.Serialize(new { count = n, max_model_len = 8192, tokens = Enumerable.Range(15000, n), token_strs = (string[]?)null }))(context);
    };

    /// <summary>TGI: <c>/chat_tokenize</c> answers <paramref name="count"/> of the request body tokens in its fixture's form.</summary>
    public static Func<HttpContext, Task> Tgi(Func<string, int> count, Func<HttpContext, Task>? other = null) => context =>
    {
        if (context.Request.Path.Value != "/chat_tokenize")
        {
            return (other ?? NotFound)(context);
        }

        var tokens = Enumerable.Range(0, count(LoopbackServer.BodyOf(context))).Select(i => new { id = 100 + i, text = "x", start = i, stop = i + 1 });
        return Respond.Json(JsonSerializer.Serialize(new { tokenize_response = tokens, templated_text = "x" }))(context);
    };

    /// <summary>The characters of every message's content in a chat request body (what a stand-in counts).</summary>
    public static int ContentLength(string body)
    {
        using var request = JsonDocument.Parse(body);
        return request.RootElement.GetProperty("messages").EnumerateArray().Sum(m => m.GetProperty("content").GetString()!.Length);
    }

    private static Task NotFound(HttpContext context) => Respond.File(Fixture.Path("llamacpp", "error-not-found-route.404.json"))(context);

    private static Task Tokens(HttpContext context, int count) =>
        Respond.Json(JsonSerializer.Serialize(new { tokens = Enumerable.Range(15000, count) }))(context);
}
