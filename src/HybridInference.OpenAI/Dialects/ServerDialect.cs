namespace HybridInference.OpenAI.Dialects;

/// <summary>
/// What one kind of OpenAI-compatible server expects and sends: where it listens by default, how to probe its
/// health without spending tokens, how it takes a JSON Schema, whether it can count tokens, and how it names
/// the reasoning text. The wire differences are sourced in the test fixtures' README.
/// </summary>
/// <param name="Name">The provider name used in configuration.</param>
/// <param name="DefaultEndpoint">The base address of its OpenAI-compatible API when none is configured.</param>
/// <param name="HealthPath">A cheap GET probe, relative to the server root (not the /v1 base).</param>
/// <param name="SchemaFormat">How it takes a JSON Schema constraint.</param>
/// <param name="TokenizePath">Its tokenize endpoint relative to the server root, or <see langword="null"/> if it has none.</param>
/// <param name="IsCloud">Whether it is a paid cloud API (needs an API key and HTTPS).</param>
/// <param name="ApiKeyVariable">The environment variable its API key is conventionally read from.</param>
/// <param name="UsesMaxCompletionTokens">Whether it takes the output limit as <c>max_completion_tokens</c> (OpenAI) instead of <c>max_tokens</c>.</param>
/// <param name="QueueMetricsPath">Its Prometheus metrics page relative to the server root, read for the queue of waiting requests (vLLM <c>vllm:num_requests_waiting</c>), or <see langword="null"/>.</param>
/// <param name="SlotsPath">Its slots page relative to the server root, read for the slots busy with any client's request (llama.cpp <c>/slots</c>), or <see langword="null"/>.</param>
/// <param name="TokenCount">How its tokenize endpoint (<paramref name="TokenizePath"/>) counts a prompt; <see cref="TokenCountForm.None"/> when it has none.</param>
/// <param name="ContextWindowPage">
/// The page, relative to the server root, that reports its context window for one request, and how to read it (the
/// body and the configured model); <see langword="null"/> when the server reports none (Ollama, LocalAI, MLX).
/// </param>
internal sealed record ServerDialect(
    string Name,
    Uri DefaultEndpoint,
    string HealthPath,
    SchemaConstraintFormat SchemaFormat,
    string? TokenizePath,
    bool IsCloud = false,
    string? ApiKeyVariable = null,
    bool UsesMaxCompletionTokens = false,
    string? QueueMetricsPath = null,
    string? SlotsPath = null,
    TokenCountForm TokenCount = TokenCountForm.None,
    (string Path, Func<string, string?, int?> Read)? ContextWindowPage = null);
