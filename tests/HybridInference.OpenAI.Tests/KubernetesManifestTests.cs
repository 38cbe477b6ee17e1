using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace HybridInference.OpenAI.Tests;

/// <summary>
/// samples/kubernetes holds valid YAML (parsed by PyYAML, which CI installs), the objects the README describes, and a
/// ConfigMap whose appsettings.json starts the chain: its discovered backend names the headless Service as DNS does.
/// </summary>
public sealed class KubernetesManifestTests
{
    private static List<JsonElement> Load(string file)
    {
        var path = RepoPaths.Source(Path.Combine("samples", "kubernetes", file));
        var start = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])["-c", "import json, sys, yaml; print(json.dumps([d for d in yaml.safe_load_all(open(sys.argv[1])) if d is not None]))", path])
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("The manifest check needs python3 with PyYAML: apt-get install python3-yaml (.ci/run installs it).", ex);
        }

        using (process)
        {
            var output = process.StandardOutput.ReadToEnd();
            var errors = process.StandardError.ReadToEnd();
            process.WaitForExit();
            Assert.True(process.ExitCode == 0, $"{file} is not valid YAML (or python3-yaml is missing: apt-get install python3-yaml): {errors}");
            return [.. JsonDocument.Parse(output).RootElement.EnumerateArray().Select(e => e.Clone())];
        }
    }

    private static JsonElement Find(List<JsonElement> documents, string kind, string name) =>
        documents.Single(d => d.GetProperty("kind").GetString() == kind && d.GetProperty("metadata").GetProperty("name").GetString() == name);

    [Fact]
    public void Vllm_IsADeployment_BehindAHeadlessService_ScaledByAnHpa()
    {
        var documents = Load("vllm.yaml");
        var deployment = Find(documents, "Deployment", "vllm-server");
        var service = Find(documents, "Service", "vllm");
        var hpa = Find(documents, "HorizontalPodAutoscaler", "vllm-hpa");

        Assert.Equal("None", service.GetProperty("spec").GetProperty("clusterIP").GetString());
        Assert.Equal("vllm", service.GetProperty("spec").GetProperty("selector").GetProperty("app").GetString());
        Assert.Equal("vllm", deployment.GetProperty("spec").GetProperty("template").GetProperty("metadata").GetProperty("labels").GetProperty("app").GetString());
        Assert.Equal("vllm-server", hpa.GetProperty("spec").GetProperty("scaleTargetRef").GetProperty("name").GetString());
        Assert.Equal((1, 4), (hpa.GetProperty("spec").GetProperty("minReplicas").GetInt32(), hpa.GetProperty("spec").GetProperty("maxReplicas").GetInt32()));
    }

    [Fact]
    public void AppConfigMap_StartsTheChain_WithTheServiceDiscovered()
    {
        var services = Load("vllm.yaml");
        var app = Load("app.yaml");
        Find(app, "Deployment", "chat-app");
        var settings = Find(app, "ConfigMap", "hybrid-inference").GetProperty("data").GetProperty("appsettings.json").GetString()!;
        // The pod's OPENAI_API_KEY comes from a Secret; here the key is set beside the ConfigMap's file, as the environment would.
        var section = new ConfigurationBuilder()
            .AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(settings)))
            .AddInMemoryCollection([new("HybridInference:Cloud:Backends:0:ApiKey", "from-the-secret")])
            .Build()
            .GetSection("HybridInference");
        var collection = new ServiceCollection();
        collection.AddHybridInference(section).AddOpenAIProviders();
        using var provider = collection.BuildServiceProvider();

        provider.GetRequiredService<IStartupValidator>().Validate(); // Throws with every problem listed.

        var backend = provider.GetRequiredService<IOptions<HybridInferenceOptions>>().Value.Local.Backends.Single();
        var service = Find(services, "Service", "vllm");
        var metadata = service.GetProperty("metadata");
        Assert.Equal(BackendDiscovery.Dns, backend.Discovery);
        Assert.Equal($"{metadata.GetProperty("name").GetString()}.{metadata.GetProperty("namespace").GetString()}.svc.cluster.local", backend.Endpoint!.Host);
        Assert.Equal(service.GetProperty("spec").GetProperty("ports")[0].GetProperty("port").GetInt32(), backend.Endpoint.Port);
    }
}
