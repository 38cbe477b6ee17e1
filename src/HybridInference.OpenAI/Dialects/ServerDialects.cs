using HybridInference.OpenAI.Wire;

namespace HybridInference.OpenAI.Dialects;

/// <summary>The known server dialects, by provider name.</summary>
internal static class ServerDialects
{
    /// <summary>
    /// vLLM: <c>vllm serve</c>; /health is empty 200; reasoning in <c>reasoning_content</c> (newer: <c>reasoning</c>);
    /// errors inside 200 streams; its window is <c>max_model_len</c> in /v1/models.
    /// </summary>
    public static readonly ServerDialect Vllm = new(
        "vllm", new("http://localhost:8000/v1"), "health", SchemaConstraintFormat.OpenAIJsonSchema, "tokenize", QueueMetricsPath: "metrics", TokenCount: TokenCountForm.VllmChat,
        ContextWindowPage: ("v1/models", ContextWindowReader.FromModelList));

    /// <summary>Ollama: no /health, <c>/api/tags</c> is the probe; silently truncates long prompts; reasoning in <c>reasoning</c>.</summary>
    public static readonly ServerDialect Ollama = new("ollama", new("http://localhost:11434/v1"), "api/tags", SchemaConstraintFormat.OpenAIJsonSchema, null);

    /// <summary>
    /// llama.cpp's llama-server: /health is 503 while loading; errors after the first chunk end the stream without
    /// [DONE]; /slots shows which of its parallel slots are busy (on by default since mid-2025, 501 when off) and each
    /// slot's window; /props says the same window when /slots is off.
    /// </summary>
    public static readonly ServerDialect LlamaCpp = new(
        "llamacpp", new("http://localhost:8080/v1"), "health", SchemaConstraintFormat.OpenAIJsonSchema, "tokenize", SlotsPath: "slots", TokenCount: TokenCountForm.LlamaCppText,
        ContextWindowPage: ("props", ContextWindowReader.FromLlamaCppProps));

    /// <summary>
    /// Hugging Face TGI: empty ids, <c>usage: null</c> on every chunk, <c>{type, value}</c> schemas, 422 validation errors;
    /// its window is <c>max_total_tokens</c> in /info; it counts a whole chat on <c>/chat_tokenize</c> (its <c>/tokenize</c>
    /// takes raw text only, without the chat template).
    /// </summary>
    public static readonly ServerDialect Tgi = new(
        "tgi", new("http://localhost:8080/v1"), "health", SchemaConstraintFormat.TgiTypeValue, "chat_tokenize", TokenCount: TokenCountForm.TgiChat, ContextWindowPage: ("info", ContextWindowReader.FromTgiInfo));

    /// <summary>LocalAI: /readyz for readiness; numeric error codes in bodies, string codes in streams.</summary>
    public static readonly ServerDialect LocalAI = new("localai", new("http://localhost:8080/v1"), "readyz", SchemaConstraintFormat.OpenAIJsonSchema, "v1/tokenize", TokenCount: TokenCountForm.LocalAIText);

    /// <summary>
    /// MLX's <c>mlx_lm.server</c> on Apple Silicon: the model list is the probe. It does not implement
    /// <c>response_format</c> (ml-explore/mlx-lm issue 1007: the field is ignored and the answer can come back empty),
    /// so it is not given JSON requests.
    /// </summary>
    public static readonly ServerDialect Mlx = new("mlx", new("http://localhost:8080/v1"), "v1/models", SchemaConstraintFormat.None, null);

    /// <summary>The OpenAI API: the model list is the probe; key and HTTPS required.</summary>
    public static readonly ServerDialect OpenAI = new(
        "openai", new("https://api.openai.com/v1"), "v1/models", SchemaConstraintFormat.OpenAIJsonSchema, null, IsCloud: true, ApiKeyVariable: "OPENAI_API_KEY", UsesMaxCompletionTokens: true);

    /// <summary>Any other server that speaks the OpenAI chat completions API.</summary>
    public static readonly ServerDialect OpenAICompatible = new("openai-compatible", new("http://localhost:8000/v1"), "v1/models", SchemaConstraintFormat.OpenAIJsonSchema, null);

    private static readonly Dictionary<string, ServerDialect> ByName = new[] { Vllm, Ollama, LlamaCpp, Tgi, LocalAI, Mlx, OpenAI, OpenAICompatible }
        .ToDictionary(d => d.Name, StringComparer.OrdinalIgnoreCase);

    /// <summary>Gets the provider names this package knows.</summary>
    public static IReadOnlyCollection<string> Names => ByName.Keys;

    /// <summary>Finds the dialect of a provider name.</summary>
    public static ServerDialect? Find(string? provider) =>
        provider is not null && ByName.TryGetValue(provider, out var dialect) ? dialect : null;

    /// <summary>Gets the server root of an OpenAI-compatible base address (<c>http://host:8000/v1</c> gives <c>http://host:8000/</c>).</summary>
    public static Uri ServerRoot(Uri endpoint)
    {
        var path = endpoint.AbsolutePath.TrimEnd('/');
        if (path.EndsWith("/v1", StringComparison.OrdinalIgnoreCase))
        {
            path = path[..^3];
        }

        return new UriBuilder(endpoint) { Path = path + "/" }.Uri;
    }
}
