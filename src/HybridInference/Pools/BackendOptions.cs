using System.ComponentModel.DataAnnotations;
using HybridInference.Internal;

namespace HybridInference;

/// <summary>One backend in <c>HybridInference:Local:Backends</c> or <c>HybridInference:Cloud:Backends</c>.</summary>
/// <remarks>
/// A backend's client comes from a factory registered under the same <see cref="Name"/> with
/// <c>AddLocalBackend</c>/<c>AddCloudBackend</c>, or from a provider package that knows <see cref="Provider"/>.
/// </remarks>
public sealed class BackendOptions
{
    /// <summary>Gets or sets the backend's name, unique across both lanes; it names the backend in metrics and outcomes.</summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = "{0} is required: every backend needs a unique name.")]
    public string Name { get; set; } = string.Empty;

    /// <summary>Gets or sets the kind of server (<c>vllm</c>, <c>ollama</c>, <c>llamacpp</c>, <c>tgi</c>, <c>localai</c>, <c>mlx</c>, <c>openai</c>, <c>anthropic</c>, ...).</summary>
    public string? Provider { get; set; }

    /// <summary>Gets or sets the server's base address, for example <c>http://localhost:8000/v1</c>.</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>Gets or sets the model the backend serves; also the key into <c>HybridInference:Pricing</c>.</summary>
    public string? Model { get; set; }

    /// <summary>Gets or sets the model's context window in tokens; requests that need more are not sent to it. At least 1 when set.</summary>
    [Range(1, int.MaxValue)]
    public int? ContextWindow { get; set; }

    /// <summary>
    /// Gets what the model is good for (<c>Local:Backends:N:Capabilities</c>, a list such as <c>["Code", "Tools"]</c>):
    /// the local pool sends each task to the best-suited model (<see cref="ModelCapabilities"/>). Default: none, a
    /// general chat model. While no local backend declares capabilities or a <see cref="Quantization"/>, the local
    /// backends are one pool, as before.
    /// </summary>
    public IList<ModelCapabilities> Capabilities { get; } = [];

    /// <summary>
    /// Gets or sets the model's quantization: <c>Q2_K</c>, <c>Q3_K_S</c>, <c>Q3_K_M</c>, <c>Q3_K_L</c>, <c>Q4_0</c>,
    /// <c>Q4_1</c>, <c>Q4_K_S</c>, <c>Q4_K_M</c>, <c>Q5_0</c>, <c>Q5_1</c>, <c>Q5_K_S</c>, <c>Q5_K_M</c>, <c>Q6_K</c>,
    /// <c>Q8_0</c>, <c>F16</c>, <c>BF16</c>, <c>F32</c>, <c>AWQ</c>, <c>GPTQ</c> (any case; <c>_</c>, <c>-</c> or none
    /// between the parts; <c>FP16</c>, <c>INT8</c>, <c>INT4</c> too). Low-bit models (Q2_K, Q3) take only routine tasks
    /// that need nothing of them; reasoning, extraction and code need Q4_K_M or better. Default: not declared (any
    /// task). An unknown name stops the start, naming the key.
    /// </summary>
    public string? Quantization { get; set; }

    /// <summary>
    /// Gets or sets the tokenizer that counts this backend's prompts exactly: a tiktoken encoding name
    /// (<c>o200k_base</c>, <c>cl100k_base</c>), or the path of a SentencePiece model (a <c>.model</c> file) or of a
    /// tiktoken vocabulary (any other file). Loaded once when the hybrid client is built, by the package that
    /// <c>AddTokenizers()</c> comes from (HybridInference.Tokenizers); without it, setting this fails at build time.
    /// Default: none (a cloud backend whose <see cref="Model"/> is an OpenAI model uses that model's encoding when the
    /// package is added; every other backend, the estimate).
    /// </summary>
    public string? Tokenizer { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether a local backend with no <see cref="Tokenizer"/> has its prompts counted by
    /// its own server (llama.cpp, vLLM, TGI, LocalAI: an <see cref="IBackendTokenCounter"/> its client offers) when their
    /// estimate is near a limit they are routed on. The count is asked only then, bounded by a short timeout and the
    /// request's deadline, and falls back to the estimate when the server cannot answer. Default <see langword="true"/>;
    /// <see langword="false"/> keeps the estimate for this backend.
    /// </summary>
    public bool ServerTokenCount { get; set; } = true;

    /// <summary>Gets or sets the backend's share of traffic relative to its lane's other backends. Default 1; 1 to 1000.</summary>
    [Range(1, Defaults.MaximumBackendWeight)]
    public int Weight { get; set; } = Defaults.BackendWeight;

    /// <summary>
    /// Gets or sets the most requests this backend may have in flight at once; a request that finds it full goes to
    /// another backend (or, when the lane has none free, escalates like any local failure). Default: no limit. At least 1 when set.
    /// </summary>
    [Range(1, int.MaxValue)]
    public int? MaxConcurrentRequests { get; set; }

    /// <summary>
    /// Gets or sets whether the <see cref="Endpoint"/>'s host name stands for several servers (<c>Local:Backends:N:Discovery</c>):
    /// <see cref="BackendDiscovery.Dns"/> (A/AAAA records, a Kubernetes headless Service) or <see cref="BackendDiscovery.Srv"/>
    /// (SRV records, which give the ports too) make the pool one member per address, each with its own health, ejection,
    /// <see cref="MaxConcurrentRequests"/> and health probe, named <c>name/address:port</c> in outcomes, metrics and status.
    /// The name is looked up again every <see cref="ResolveInterval"/> and soon after a member is ejected. Local backends
    /// created by a provider package only. Default <see cref="BackendDiscovery.None"/>: one backend.
    /// </summary>
    public BackendDiscovery Discovery { get; set; }

    /// <summary>
    /// Gets or sets how often a backend with <see cref="Discovery"/> looks its name up again: new addresses become
    /// members, vanished ones finish their requests and leave; an empty or failed lookup keeps the members it had.
    /// Default 30 seconds; 0.5 s to one day.
    /// </summary>
    [Range(typeof(TimeSpan), Defaults.MinimumDurationText, Defaults.MaximumDurationText)]
    public TimeSpan ResolveInterval { get; set; } = Defaults.ResolveInterval;

    /// <summary>
    /// Gets or sets the API key. It is a secret: it never appears in logs, exceptions, traces or metrics. When empty,
    /// provider packages read the provider's usual environment variable (<c>OPENAI_API_KEY</c>, <c>ANTHROPIC_API_KEY</c>).
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether a cloud backend may be reached over plain <c>http://</c>. Default
    /// <see langword="false"/>: a cloud endpoint must use HTTPS, so that keys and data are not sent in clear text.
    /// Local backends may always use <c>http://</c>.
    /// </summary>
    public bool AllowInsecureHttp { get; set; }

    /// <summary>
    /// Gets or sets how long one call may wait for the server before it fails with a timeout, and how long a stream may
    /// go without a token (before its first one and between two: role-only or empty chunks, usage and keep-alive
    /// comments are not tokens) before it fails with a <see cref="BackendException"/> of kind
    /// <see cref="BackendErrorKind.Timeout"/>, without <c>Routing:RequestTimeout</c> too. Default: 30 seconds for a
    /// local backend (a stalled local server fails over to the cloud while the caller still waits; for streams, set the
    /// lane's <c>TimeToFirstToken</c> as well), 100 seconds for a cloud backend.
    /// </summary>
    public TimeSpan? Timeout { get; set; }

    /// <summary>A copy of these settings for one member of a discovered backend: its own name and endpoint, no discovery.</summary>
    /// <param name="name">The member's name (<c>vllm/10.0.0.5:8000</c>).</param>
    /// <param name="endpoint">The member's endpoint (the configured one with the member's address and port).</param>
    /// <returns>The copy; <see cref="Capabilities"/> is shared, not copied.</returns>
    internal BackendOptions ForMember(string name, Uri endpoint)
    {
        var member = (BackendOptions)MemberwiseClone();
        member.Name = name;
        member.Endpoint = endpoint;
        member.Discovery = BackendDiscovery.None;
        return member;
    }

}
