using Microsoft.Extensions.DependencyInjection;

namespace HybridInference.OpenAI.Tests;

/// <summary>Backends declared by provider in configuration: what start-up accepts and refuses.</summary>
public sealed class ProviderConfigurationTests
{
    private static IReadOnlyList<string> Failures(string backendsJson)
    {
        var json = $$"""{ "HybridInference": { {{backendsJson}} } }""";
        var configuration = JsonSettings.Parse(json);
        var services = new ServiceCollection();
        services.AddHybridInference(configuration.GetSection("HybridInference")).AddOpenAIProviders();
        using var provider = services.BuildServiceProvider();
        return provider.StartupFailures();
    }

    [Fact]
    public void EveryKnownProvider_IsAccepted()
    {
        var failures = Failures("""
            "Local": { "Backends": [ { "Name": "a", "Provider": "vllm" }, { "Name": "b", "Provider": "ollama" }, { "Name": "c", "Provider": "llamacpp" },
                                     { "Name": "d", "Provider": "tgi" }, { "Name": "e", "Provider": "localai" }, { "Name": "f", "Provider": "mlx" },
                                     { "Name": "g", "Provider": "openai-compatible", "Endpoint": "http://gpu-box:9000/v1" } ] },
            "Cloud": { "Backends": [ { "Name": "o", "Provider": "openai", "Model": "gpt-4o", "ApiKey": "sk-x" } ] }
            """);

        Assert.Empty(failures);
    }

    [Fact]
    public void UnknownProvider_IsRefusedNamingTheKey()
    {
        var failures = Failures("""
            "Local": { "Backends": [ { "Name": "x", "Provider": "vlm" } ] }
            """);

        Assert.Contains(failures, f => f.StartsWith("HybridInference:Local:Backends:0 ('x', provider 'vlm'): no client for this backend", StringComparison.Ordinal));
    }

    [Fact]
    public void CloudOverPlainHttp_IsRefusedUnlessAllowed()
    {
        var refused = Failures("""
            "Local": { "Backends": [ { "Name": "l", "Provider": "ollama" } ] },
            "Cloud": { "Backends": [ { "Name": "remote", "Provider": "vllm", "Endpoint": "http://203.0.113.5:8000/v1" } ] }
            """);
        var allowed = Failures("""
            "Local": { "Backends": [ { "Name": "l", "Provider": "ollama" } ] },
            "Cloud": { "Backends": [ { "Name": "remote", "Provider": "vllm", "Endpoint": "http://203.0.113.5:8000/v1", "AllowInsecureHttp": true } ] }
            """);

        Assert.Contains(refused, f => f.Contains("HybridInference:Cloud:Backends:0:Endpoint 'http://203.0.113.5:8000/v1' is plain http://", StringComparison.Ordinal));
        Assert.Empty(allowed);
    }

    [Fact]
    public void OpenAIWithoutKeyOrModel_IsRefused()
    {
        var failures = Failures("""
            "Local": { "Backends": [ { "Name": "l", "Provider": "ollama" } ] },
            "Cloud": { "Backends": [ { "Name": "o", "Provider": "openai" } ] }
            """);

        if (Environment.GetEnvironmentVariable("OPENAI_API_KEY") is null)
        {
            Assert.Contains(failures, f => f.Contains("HybridInference:Cloud:Backends:0:ApiKey is missing", StringComparison.Ordinal));
        }

        Assert.Contains(failures, f => f.Contains("HybridInference:Cloud:Backends:0:Model is required", StringComparison.Ordinal));
    }

    [Fact]
    public void CloudApiInTheLocalLane_IsRefused_SoLocalOnlyDataCannotReachIt()
    {
        var failures = Failures("""
            "Local": { "Backends": [ { "Name": "o", "Provider": "openai", "Model": "gpt-4o", "ApiKey": "sk-x" } ] }
            """);

        Assert.Contains(failures, f => f.Contains("HybridInference:Local:Backends:0: provider 'openai' is a cloud API; it cannot be a local backend", StringComparison.Ordinal));
    }

    [Fact]
    public void MalformedEndpoint_IsRefused()
    {
        var failures = Failures("""
            "Local": { "Backends": [ { "Name": "l", "Provider": "ollama", "Endpoint": "ftp://box/v1" } ] }
            """);

        Assert.Contains(failures, f => f.Contains("HybridInference:Local:Backends:0:Endpoint 'ftp://box' must be an absolute http or https URL", StringComparison.Ordinal));
    }

    [Fact]
    public void ApiKey_NeverAppearsInValidationMessages()
    {
        var failures = Failures("""
            "Local": { "Backends": [ { "Name": "l", "Provider": "ollama" } ] },
            "Cloud": { "Backends": [ { "Name": "o", "Provider": "openai", "ApiKey": "sk-sentinel-777", "Endpoint": "http://api.example.invalid/v1" } ] }
            """);

        Assert.NotEmpty(failures);
        Assert.DoesNotContain(failures, f => f.Contains("sk-sentinel-777", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("openai-compatible", "https://api.openai.com/v1")]
    [InlineData("openai-compatible", "https://api.groq.com/openai/v1")]
    [InlineData("openai-compatible", "https://openrouter.ai/api/v1")]
    [InlineData("openai-compatible", "https://my-resource.openai.azure.com/openai/v1")]
    [InlineData("vllm", "https://api.together.xyz/v1")]
    [InlineData("ollama", "https://API.MISTRAL.AI/v1")]
    [InlineData("llamacpp", "https://api.deepseek.com")]
    [InlineData("tgi", "https://generativelanguage.googleapis.com/v1beta/openai/")]
    [InlineData("localai", "https://api.anthropic.com/v1")]
    public void LocalProvider_AtAPublicCloudApi_IsRefused(string provider, string endpoint)
    {
        var failures = Failures($$"""
            "Local": { "Backends": [ { "Name": "l", "Provider": "{{provider}}", "Endpoint": "{{endpoint}}" } ] }
            """);

        Assert.Contains(failures, f => f.StartsWith("HybridInference:Local:Backends:0:Endpoint '", StringComparison.Ordinal) && f.Contains("is a public cloud API", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("""{ "Name": "l", "Provider": "ollama", "Endpoint": "ftp://user:s3cr3t@box/v1?key=s3cr3t" }""")]
    [InlineData("""{ "Name": "l", "Provider": "openai-compatible", "Endpoint": "https://user:s3cr3t@api.openai.com/v1?api-key=s3cr3t" }""")]
    [InlineData("""{ "Name": "l", "Provider": "vllm", "Endpoint": "http://s3cr3t@gpu-box:8000/v1", "Weight": "heavy" }""")]
    public void EndpointCredentials_NeverAppearInValidationMessages(string backend)
    {
        var failures = Failures($$"""
            "Local": { "Backends": [ {{backend}} ] },
            "Cloud": { "Backends": [ { "Name": "o", "Provider": "openai", "Model": "gpt-4o", "Endpoint": "http://user:s3cr3t@api.example.invalid/v1" } ] }
            """);

        Assert.NotEmpty(failures);
        Assert.DoesNotContain(failures, f => f.Contains("s3cr3t", StringComparison.Ordinal));
    }

    [Fact]
    public void ClientWithAnEndpointThatIsNotHttp_ThrowsWithoutItsCredentials()
    {
        var error = Assert.Throws<ArgumentException>(() => new OpenAICompatibleChatClient(new OpenAICompatibleChatClientOptions
        {
            Provider = "vllm",
            Endpoint = new Uri("ftp://user:s3cr3t@box/v1?key=s3cr3t"),
        }));

        Assert.DoesNotContain("s3cr3t", error.Message, StringComparison.Ordinal);
        Assert.Contains("'ftp://box'", error.Message, StringComparison.Ordinal);
    }
}
