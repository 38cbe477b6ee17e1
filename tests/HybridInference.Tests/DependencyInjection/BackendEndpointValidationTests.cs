using HybridInference.DependencyInjection;
using HybridInference.Http;
using Microsoft.Extensions.DependencyInjection;

namespace HybridInference.Tests.DependencyInjection;

/// <summary>
/// Endpoints that make no sense for their lane stop start-up (a local backend at a public cloud API would receive
/// local-only data), and no error shows credentials or a query embedded in an endpoint.
/// </summary>
public sealed class BackendEndpointValidationTests
{
    private static IReadOnlyList<string> Failures(string json)
    {
        var section = JsonSettings.Parse(json).GetSection("HybridInference");
        var services = new ServiceCollection();
        services.AddHybridInference(section)
            .AddLocalBackend("local", _ => new FakeChatClient("local"))
            .AddCloudBackend("cloud", _ => new FakeChatClient("cloud"));
        using var provider = services.BuildServiceProvider();
        return provider.StartupFailures();
    }

    private static IReadOnlyList<string> LocalAt(string endpoint) =>
        Failures($$$$"""{"HybridInference":{"Local":{"Backends":[{"Name":"local","Endpoint":"{{{{endpoint}}}}"}]}}}""");

    [Theory]
    [InlineData("https://api.openai.com/v1")]
    [InlineData("https://API.OpenAI.com/v1")]
    [InlineData("https://api.openai.com./v1")]
    [InlineData("https://api.openai.com:443/v1")]
    [InlineData("https://eu.api.openai.com/v1")]
    [InlineData("https://my-resource.openai.azure.com/openai/deployments/gpt-4o")]
    [InlineData("https://my-project.services.ai.azure.com/models")]
    [InlineData("https://api.anthropic.com/v1")]
    [InlineData("https://generativelanguage.googleapis.com/v1beta/openai/")]
    [InlineData("https://us-central1-aiplatform.googleapis.com/v1")]
    [InlineData("https://api.mistral.ai/v1")]
    [InlineData("https://api.groq.com/openai/v1")]
    [InlineData("https://api.together.xyz/v1")]
    [InlineData("https://api.cohere.ai/compatibility/v1")]
    [InlineData("https://api.cohere.com/v2")]
    [InlineData("https://openrouter.ai/api/v1")]
    [InlineData("https://api.deepseek.com")]
    [InlineData("https://api.fireworks.ai/inference/v1")]
    [InlineData("https://api.x.ai/v1")]
    [InlineData("https://bedrock-runtime.eu-west-1.amazonaws.com")]
    [InlineData("http://api.openai.com/v1")]
    [InlineData("https://europe-west4-aiplatform.googleapis.com/v1")]
    public void LocalBackend_AtAPublicCloudApi_StopsStartUp(string endpoint)
    {
        var failures = LocalAt(endpoint);

        Assert.Contains(failures, f => f.StartsWith("HybridInference:Local:Backends:0:Endpoint '", StringComparison.Ordinal) && f.Contains("is a public cloud API", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("http://localhost:8000/v1")]
    [InlineData("http://127.0.0.1:11434/v1")]
    [InlineData("http://gpu-box.internal:9000/v1")]
    [InlineData("http://api.openai.com.internal:8000/v1")] // A host of one's own whose name starts like a cloud API.
    [InlineData("http://myopenai.com/v1")]
    [InlineData("http://notopenrouter.ai/v1")]
    public void LocalBackend_OnAHostOfItsOwn_IsAccepted(string endpoint)
    {
        Assert.Empty(LocalAt(endpoint));
    }

    [Theory]
    [InlineData("Local", "ftp://gpu-box/v1")]
    [InlineData("Local", "file:///models/llama")]
    [InlineData("Cloud", "ws://api.example.invalid/v1")]
    [InlineData("Cloud", "mailto:ops@example.invalid")]
    public void Backend_WithAnEndpointThatIsNotHttp_StopsStartUp(string lane, string endpoint)
    {
        var name = lane.ToLowerInvariant();
        var failures = Failures($$$$"""{"HybridInference":{"{{{{lane}}}}":{"Backends":[{"Name":"{{{{name}}}}","Endpoint":"{{{{endpoint}}}}"}]}}}""");

        Assert.Contains(failures, f => f.StartsWith($"HybridInference:{lane}:Backends:0:Endpoint ", StringComparison.Ordinal) && f.Contains("http or https", StringComparison.Ordinal));
    }

    [Fact]
    public void CloudBackend_AtAPublicCloudApi_IsAccepted()
    {
        Assert.Empty(Failures("""{"HybridInference":{"Cloud":{"Backends":[{"Name":"cloud","Endpoint":"https://api.openai.com/v1"}]}}}"""));
    }

    [Theory]
    [InlineData("""{"Local":{"Backends":[{"Name":"local","Endpoint":"https://user:s3cr3t-pw@api.openai.com/v1?api-key=s3cr3t-q"}]}}""")]
    [InlineData("""{"Cloud":{"Backends":[{"Name":"cloud","Endpoint":"http://user:s3cr3t-pw@api.example.invalid/v1?key=s3cr3t-q#s3cr3t-f"}]}}""")]
    [InlineData("""{"Cloud":{"Backends":[{"Name":"cloud","Endpoint":"http://s3cr3t-token@api.example.invalid/v1"}]}}""")]
    [InlineData("""{"Local":{"Backends":[{"Name":"local","Endpoint":"user:s3cr3t-pw@gpu-box/v1"}]}}""")] // Scheme "user:".
    [InlineData("""{"Local":{"Backends":[{"Name":"local","Endpoint":"gpu-box/v1?key=s3cr3t-q"}]}}""")]
    [InlineData("""{"Local":{"Backends":[{"Name":"local","Endpoint":"https://user:s3cr3t-pw@api.mistral.ai/v1","Weight":"x"}]}}""")]
    public void EndpointWithCredentials_IsNeverEchoed(string section)
    {
        var failures = Failures($$"""{"HybridInference":{{section}}}""");

        Assert.NotEmpty(failures);
        Assert.All(failures, f => Assert.DoesNotContain("s3cr3t", f, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("https://user:secret@host.example/v1?key=secret#secret", "https://host.example/v1")]
    [InlineData("http://token@localhost:8000/v1", "http://localhost:8000/v1")]
    [InlineData("http://localhost:8000/v1", "http://localhost:8000/v1")]
    [InlineData("https://[::1]:8443/", "https://[::1]:8443/")]
    [InlineData("ftp://user:secret@box/v1?key=secret", "ftp://box")]
    public void Render_DropsUserInfoQueryAndFragment(string endpoint, string expected)
    {
        Assert.Equal(expected, EndpointDisplay.Render(new Uri(endpoint)));
    }

    [Fact]
    public void Render_RelativeOrMissing_IsDescribedNotEchoed()
    {
        Assert.Equal("(a relative URL)", EndpointDisplay.Render(new Uri("gpu-box/v1?key=secret", UriKind.Relative)));
        Assert.Equal("(none)", EndpointDisplay.Render(null));
    }

    [Theory]
    [InlineData("https://api.groq.com/openai/v1", true)]
    [InlineData("https://xn--80ak6aa92e.com/v1", false)]
    [InlineData("https://api.openai.com.evil.example/v1", false)]
    public void PublicCloudHosts_MatchesHostAndSubdomainsOnly(string endpoint, bool expected)
    {
        Assert.Equal(expected, PublicCloudHosts.Contains(new Uri(endpoint)));
    }
}
