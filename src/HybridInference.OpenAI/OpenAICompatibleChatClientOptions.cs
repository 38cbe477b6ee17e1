namespace HybridInference.OpenAI;

/// <summary>Where and how an <see cref="OpenAICompatibleChatClient"/> reaches its server.</summary>
public sealed class OpenAICompatibleChatClientOptions
{
    /// <summary>
    /// Gets or sets the kind of server: <c>vllm</c>, <c>ollama</c>, <c>llamacpp</c>, <c>tgi</c>, <c>localai</c>,
    /// <c>mlx</c>, <c>openai</c> or <c>openai-compatible</c>. It decides the wire details. Default <c>openai-compatible</c>.
    /// </summary>
    public string Provider { get; set; } = "openai-compatible";

    /// <summary>Gets or sets the base address of the OpenAI-compatible API (ending in <c>/v1</c>); the provider's default when <see langword="null"/>.</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>Gets or sets the model to ask for when the request does not name one (<c>ChatOptions.ModelId</c>).</summary>
    public string? Model { get; set; }

    /// <summary>Gets or sets the API key, sent as a bearer token; none is sent when <see langword="null"/>. It never appears in exceptions.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Gets or sets the name that identifies the backend in errors. Default: the provider.</summary>
    public string? Name { get; set; }

    /// <summary>Gets or sets how long one call may wait for the server before it times out. Default 100 seconds.</summary>
    public TimeSpan? Timeout { get; set; }

    /// <summary>
    /// Gets or sets where <see cref="Timeout"/> is set, for the message of a timeout (the provider factory names the
    /// configuration entry); <see langword="null"/> names this property.
    /// </summary>
    internal string? TimeoutSetting { get; set; }

    /// <summary>
    /// Gets or sets the output limit (<c>max_tokens</c>) sent when a request sets no <c>MaxOutputTokens</c>: the provider
    /// factory sets <c>Routing:DefaultOutputTokens</c> for local backends; none is sent when <see langword="null"/>.
    /// </summary>
    internal int? DefaultMaxOutputTokens { get; set; }
}
