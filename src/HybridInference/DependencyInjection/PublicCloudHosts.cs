namespace HybridInference.DependencyInjection;

/// <summary>
/// The hosts of public cloud LLM APIs. A local backend must not point at one: local-only requests would leave the
/// machine through it (a local provider such as <c>openai-compatible</c> aimed at <c>api.openai.com</c>).
/// </summary>
internal static class PublicCloudHosts
{
    /// <summary>Domains whose host and every subdomain is a public cloud API.</summary>
    private static readonly string[] Domains =
    [
        "api.openai.com",
        "openai.azure.com",
        "services.ai.azure.com",
        "cognitiveservices.azure.com",
        "inference.ai.azure.com",
        "models.github.ai",
        "api.anthropic.com",
        "generativelanguage.googleapis.com",
        "aiplatform.googleapis.com",
        "api.mistral.ai",
        "api.groq.com",
        "api.together.xyz",
        "api.together.ai",
        "api.cohere.ai",
        "api.cohere.com",
        "openrouter.ai",
        "api.deepseek.com",
        "api.fireworks.ai",
        "api.perplexity.ai",
        "api.x.ai",
        "api.deepinfra.com",
        "api.cerebras.ai",
        "api.sambanova.ai",
        "api-inference.huggingface.co",
        "router.huggingface.co",
        "api.novita.ai",
        "api.hyperbolic.xyz",
        "api.lambdalabs.com",
        "dashscope.aliyuncs.com",
        "dashscope-intl.aliyuncs.com",
        "api.moonshot.ai",
        "api.moonshot.cn",
        "open.bigmodel.cn",
        "api.ai21.com",
        "api.replicate.com",
    ];

    /// <summary>Tells whether <paramref name="endpoint"/> is on a public cloud API host (any case, with or without a trailing dot, any subdomain).</summary>
    /// <param name="endpoint">An absolute endpoint.</param>
    /// <returns><see langword="true"/> for a public cloud API host.</returns>
    public static bool Contains(Uri endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (!endpoint.IsAbsoluteUri)
        {
            return false;
        }

        var host = endpoint.IdnHost.TrimEnd('.').ToLowerInvariant();
        foreach (var domain in Domains)
        {
            if (host == domain || host.EndsWith("." + domain, StringComparison.Ordinal))
            {
                return true;
            }
        }

        // Vertex AI's regional hosts: <region>-aiplatform.googleapis.com.
        if (host.EndsWith("-aiplatform.googleapis.com", StringComparison.Ordinal))
        {
            return true;
        }

        // Amazon Bedrock's runtime, in every region: bedrock-runtime.<region>.amazonaws.com.
        return host.StartsWith("bedrock-runtime.", StringComparison.Ordinal) && host.EndsWith(".amazonaws.com", StringComparison.Ordinal);
    }
}
