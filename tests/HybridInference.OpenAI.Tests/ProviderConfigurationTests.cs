using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace HybridInference.OpenAI.Tests;

/// <summary>Backends declared by provider in configuration: what start-up accepts and refuses.</summary>
public sealed class ProviderConfigurationTests
{
    private static IReadOnlyList<string> Failures(string backendsJson)
    {
        var json = $$"""{ "HybridInference": { {{backendsJson}} } }""";
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();
        var services = new ServiceCollection();
        services.AddHybridInference(configuration.GetSection("HybridInference")).AddOpenAIProviders();
        using var provider = services.BuildServiceProvider();
        try
        {
            provider.GetRequiredService<IStartupValidator>().Validate();
            return [];
        }
        catch (OptionsValidationException ex)
        {
            return [.. ex.Failures];
        }
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

        Assert.Contains(failures, f => f.Contains("HybridInference:Local:Backends:0:Endpoint 'ftp://box/v1' must be an absolute http or https URL", StringComparison.Ordinal));
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
}
