using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace HybridInference.Tests.DependencyInjection;

/// <summary>Binding the HybridInference section, and start-up validation that names every bad key.</summary>
public sealed class HybridInferenceConfigurationTests
{
    private static IConfiguration Section(string json) =>
        JsonSettings.Parse(json).GetSection("HybridInference");

    private static OptionsValidationException StartupFailure(string json, Action<HybridInferenceBuilder>? backends = null)
    {
        var services = new ServiceCollection();
        var builder = services.AddHybridInference(Section(json));
        (backends ?? (b => b.AddLocalBackend("local", _ => new FakeChatClient())))(builder);
        using var provider = services.BuildServiceProvider();
        return Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<Microsoft.Extensions.Options.IStartupValidator>().Validate());
    }

    [Fact]
    public void Bind_EveryKeyOfTheContract()
    {
        const string Json = """
            {
              "HybridInference": {
                "Routing": { "LocalContextLimit": 2048, "FallbackMaxRetries": 2, "EscalationThreshold": 0.25,
                             "SamplingWindow": "00:02:00", "MinimumThroughput": 50, "BreakDuration": "00:00:10" },
                "Classification": { "DefaultCategory": "Complex", "DefaultDataPolicy": "LocalOnly", "UseBuiltInRules": false,
                                    "ToolsCategory": "SafetyCritical", "ComplexConversationMessages": 8,
                                    "Rules": [ { "Category": "SafetyCritical", "Keywords": [ "patient" ], "Pattern": "\\bMRN\\d+" } ] },
                "Local": { "LoadBalancing": "PowerOfTwoChoices", "FailuresBeforeEjection": 5, "EjectionDuration": "00:01:00",
                           "Backends": [ { "Name": "vllm", "Provider": "vllm", "Endpoint": "http://localhost:8000/v1",
                                           "Model": "mistralai/Mistral-7B-Instruct-v0.2", "ContextWindow": 8192, "Weight": 3,
                                           "MaxConcurrentRequests": 16 } ] },
                "Validation": { "ExtractJson": false, "AssertFormats": true },
                "Cloud": { "RequestsPerMinute": 500, "LoadBalancing": "LeastOutstanding",
                           "Backends": [ { "Name": "openai", "Provider": "openai", "Model": "gpt-4-turbo", "ApiKey": "sk-test" } ] },
                "Pricing": { "gpt-4-turbo": { "InputPerMillionTokens": 10.0, "OutputPerMillionTokens": 30.0 } },
                "LocalCost": { "PerGpuSecond": 0.0005 },
                "Observability": { "RetentionDays": 30, "CaptureMessageContent": true }
              }
            }
            """;
        var services = new ServiceCollection();
        services.AddHybridInference(Section(Json))
            .AddLocalBackend("vllm", _ => new FakeChatClient())
            .AddCloudBackend("openai", _ => new FakeChatClient());
        using var provider = services.BuildServiceProvider();

        var o = provider.GetRequiredService<IOptions<HybridInferenceOptions>>().Value;

        Assert.Equal((2048, 2, 0.25, TimeSpan.FromMinutes(2), 50, TimeSpan.FromSeconds(10)),
            (o.Routing.LocalContextLimit, o.Routing.FallbackMaxRetries, o.Routing.EscalationThreshold, o.Routing.SamplingWindow, o.Routing.MinimumThroughput, o.Routing.BreakDuration));
        Assert.Equal((TaskCategory.Complex, DataPolicy.LocalOnly, false, TaskCategory.SafetyCritical, 8),
            (o.Classification.DefaultCategory, o.Classification.DefaultDataPolicy, o.Classification.UseBuiltInRules, o.Classification.ToolsCategory, o.Classification.ComplexConversationMessages));
        var rule = Assert.Single(o.Classification.Rules);
        Assert.Equal(["patient"], rule.Keywords);
        var local = Assert.Single(o.Local.Backends);
        Assert.Equal(("vllm", "vllm", new Uri("http://localhost:8000/v1"), "mistralai/Mistral-7B-Instruct-v0.2", 8192, 3),
            (local.Name, local.Provider, local.Endpoint, local.Model, local.ContextWindow, local.Weight));
        Assert.Equal(16, local.MaxConcurrentRequests);
        Assert.Equal((LoadBalancingStrategy.PowerOfTwoChoices, 5, TimeSpan.FromMinutes(1)), (o.Local.LoadBalancing, o.Local.FailuresBeforeEjection, o.Local.EjectionDuration));
        Assert.Equal((false, true), (o.Validation.ExtractJson, o.Validation.AssertFormats));
        Assert.Equal(LoadBalancingStrategy.LeastOutstanding, o.Cloud.LoadBalancing);
        Assert.Equal(500, o.Cloud.RequestsPerMinute);
        Assert.Equal("sk-test", Assert.Single(o.Cloud.Backends).ApiKey);
        Assert.Equal(30.0, o.Pricing["GPT-4-TURBO"].OutputPerMillionTokens);
        Assert.Equal(0.0005, o.LocalCost.PerGpuSecond);
        Assert.Equal((30, true), (o.Observability.RetentionDays, o.Observability.CaptureMessageContent));
    }

    [Fact]
    public void Defaults_MatchTheDesign()
    {
        var o = new HybridInferenceOptions();

        // LocalContextLimit unset: what the local windows allow (4096 while none is known: RoutingContextLimitTests).
        Assert.Equal(((int?)null, 1, 0.15, TimeSpan.FromMinutes(1), 20, TimeSpan.FromSeconds(30)),
            (o.Routing.LocalContextLimit, o.Routing.FallbackMaxRetries, o.Routing.EscalationThreshold, o.Routing.SamplingWindow, o.Routing.MinimumThroughput, o.Routing.BreakDuration));
        Assert.Equal((1000, 90, false), (o.Cloud.RequestsPerMinute, o.Observability.RetentionDays, o.Observability.CaptureMessageContent));
        Assert.Equal((TaskCategory.Routine, DataPolicy.Any, true, TaskCategory.Complex, 20),
            (o.Classification.DefaultCategory, o.Classification.DefaultDataPolicy, o.Classification.UseBuiltInRules, o.Classification.ToolsCategory, o.Classification.ComplexConversationMessages));
        Assert.Equal((LoadBalancingStrategy.WeightedRoundRobin, LoadBalancingStrategy.Ordered), (o.Local.LoadBalancing, o.Cloud.LoadBalancing));
        Assert.Equal((3, TimeSpan.FromSeconds(30)), (o.Local.FailuresBeforeEjection, o.Local.EjectionDuration));
        Assert.Equal((true, false), (o.Validation.ExtractJson, o.Validation.AssertFormats));
        Assert.Equal(5, o.Routing.FailuresBeforeBreak);
        Assert.Equal(1024, o.Routing.DefaultOutputTokens);
    }

    [Theory]
    [InlineData("""{"Routing":{"LocalContextLimit":-1}}""", "The field HybridInference:Routing:LocalContextLimit must be between 1 and 2147483647.")]
    [InlineData("""{"Routing":{"EscalationThreshold":0}}""", "The field HybridInference:Routing:EscalationThreshold must be between 0 exclusive and 1.")]
    [InlineData("""{"Routing":{"EscalationThreshold":1.5}}""", "The field HybridInference:Routing:EscalationThreshold must be between 0 exclusive and 1.")]
    [InlineData("""{"Routing":{"FallbackMaxRetries":9}}""", "The field HybridInference:Routing:FallbackMaxRetries must be between 0 and 5.")]
    [InlineData("""{"Routing":{"MinimumThroughput":1}}""", "The field HybridInference:Routing:MinimumThroughput must be between 2 and 2147483647.")]
    [InlineData("""{"Routing":{"SamplingWindow":"00:00:00.1"}}""", "The field HybridInference:Routing:SamplingWindow must be between 00:00:00.5000000 and 1.00:00:00.")]
    [InlineData("""{"Routing":{"BreakDuration":"2.00:00:00"}}""", "The field HybridInference:Routing:BreakDuration must be between 00:00:00.5000000 and 1.00:00:00.")]
    [InlineData("""{"Routing":{"FailuresBeforeBreak":1}}""", "The field HybridInference:Routing:FailuresBeforeBreak must be between 2 and 1000.")]
    [InlineData("""{"Routing":{"FailuresBeforeBreak":1001}}""", "The field HybridInference:Routing:FailuresBeforeBreak must be between 2 and 1000.")]
    [InlineData("""{"Routing":{"DefaultOutputTokens":0}}""", "The field HybridInference:Routing:DefaultOutputTokens must be between 1 and 1048576.")]
    [InlineData("""{"Routing":{"DefaultOutputTokens":-5}}""", "The field HybridInference:Routing:DefaultOutputTokens must be between 1 and 1048576.")]
    [InlineData("""{"Routing":{"DefaultOutputTokens":1048577}}""", "The field HybridInference:Routing:DefaultOutputTokens must be between 1 and 1048576.")]
    [InlineData("""{"Routing":{"LocalContextLimit":2048,"DefaultOutputTokens":2048}}""", "HybridInference:Routing:DefaultOutputTokens (2048) leaves no room for a prompt in the local limit of 2048 tokens (Routing:LocalContextLimit)")]
    [InlineData("""{"Local":{"Backends":[{"Name":"a","ContextWindow":1024}]}}""", "HybridInference:Routing:DefaultOutputTokens (1024) leaves no room for a prompt in the local limit of 1024 tokens (the largest local ContextWindow)")]
    [InlineData("""{"Cloud":{"RequestsPerMinute":0}}""", "The field HybridInference:Cloud:RequestsPerMinute must be between 1 and 2147483647.")]
    [InlineData("""{"Local":{"FailuresBeforeEjection":0}}""", "The field HybridInference:Local:FailuresBeforeEjection must be between 1 and 100.")]
    [InlineData("""{"Cloud":{"EjectionDuration":"00:00:00.1"}}""", "The field HybridInference:Cloud:EjectionDuration must be between 00:00:00.5000000 and 1.00:00:00.")]
    [InlineData("""{"Local":{"Backends":[{"Name":"a","MaxConcurrentRequests":0}]}}""", "The field HybridInference:Local:Backends:0:MaxConcurrentRequests must be between 1 and 2147483647.")]
    [InlineData("""{"Local":{"History":{"SummaryMaxTokens":8}}}""", "The field HybridInference:Local:History:SummaryMaxTokens must be between 16 and 65536.")]
    [InlineData("""{"Local":{"History":{"KeepLastTurns":0}}}""", "The field HybridInference:Local:History:KeepLastTurns must be between 1 and 1000.")]
    [InlineData("""{"Observability":{"RetentionDays":0}}""", "The field HybridInference:Observability:RetentionDays must be between 1 and 36500.")]
    [InlineData("""{"Pricing":{"gpt-4":{"InputPerMillionTokens":-1}}}""", "HybridInference:Pricing:gpt-4:InputPerMillionTokens: prices must not be negative.")]
    [InlineData("""{"Classification":{"Rules":[{"Category":"Complex","Pattern":"("}]}}""", "HybridInference:Classification:Rules:0:Pattern is not a valid regular expression")]
    [InlineData("""{"Classification":{"Rules":[{"Category":"Complex"}]}}""", "HybridInference:Classification:Rules:0 has neither Keywords nor a Pattern")]
    public void InvalidValue_StopsStartUp_NamingTheKey(string section, string expected)
    {
        var error = StartupFailure($$"""{"HybridInference":{{section}}}""");

        Assert.Contains(error.Failures, f => f.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void SeveralProblems_AreAllListed()
    {
        var error = StartupFailure("""{"HybridInference":{"Routing":{"LocalContextLimit":0,"EscalationThreshold":2}}}""");

        Assert.Contains(error.Failures, f => f.Contains("LocalContextLimit", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("EscalationThreshold", StringComparison.Ordinal));
    }

    [Fact]
    public void NoLocalBackend_StopsStartUp()
    {
        var error = StartupFailure("""{"HybridInference":{}}""", b => b.AddCloudBackend("cloud", _ => new FakeChatClient()));

        Assert.Contains(error.Failures, f => f.StartsWith("HybridInference:Local:Backends: no local backend is configured", StringComparison.Ordinal));
    }

    [Fact]
    public void ConfiguredBackendWithoutClient_StopsStartUp()
    {
        var error = StartupFailure("""{"HybridInference":{"Local":{"Backends":[{"Name":"ollama","Provider":"ollama"}]}}}""");

        Assert.Contains(error.Failures, f => f.Contains("HybridInference:Local:Backends:0 ('ollama', provider 'ollama'): no client for this backend", StringComparison.Ordinal));
    }

    [Fact]
    public void DuplicateBackendNames_StopStartUp()
    {
        var error = StartupFailure(
            """{"HybridInference":{}}""",
            b => b.AddLocalBackend("same", _ => new FakeChatClient()).AddCloudBackend("SAME", _ => new FakeChatClient()));

        Assert.Contains(error.Failures, f => f.Contains("'SAME' is registered more than once", StringComparison.Ordinal));
    }

    [Fact]
    public void CloudBackendOverPlainHttp_StopsStartUp_UnlessAllowed()
    {
        var refused = StartupFailure(
            """{"HybridInference":{"Cloud":{"Backends":[{"Name":"cloud","Endpoint":"http://api.example.invalid/v1"}]}}}""",
            b => b.AddLocalBackend("local", _ => new FakeChatClient()).AddCloudBackend("cloud", _ => new FakeChatClient()));

        Assert.Contains(refused.Failures, f => f.Contains("HybridInference:Cloud:Backends:0:Endpoint 'http://api.example.invalid/v1' is plain http://", StringComparison.Ordinal));
    }

    [Fact]
    public void BackendWithoutName_StopsStartUp()
    {
        var error = StartupFailure("""{"HybridInference":{"Local":{"Backends":[{"Provider":"vllm"}]}}}""");

        Assert.Contains(error.Failures, f => f.Contains("HybridInference:Local:Backends:0:Name is required", StringComparison.Ordinal));
    }

    [Fact]
    public void LocalContextLimitAboveEveryLocalWindow_StopsStartUp()
    {
        var error = StartupFailure("""{"HybridInference":{"Routing":{"LocalContextLimit":16384},"Local":{"Backends":[{"Name":"local","ContextWindow":8192}]}}}""");

        Assert.Contains(error.Failures, f => f.Contains("HybridInference:Routing:LocalContextLimit (16384) is larger than the largest local ContextWindow (8192)", StringComparison.Ordinal));
    }

    [Fact]
    public void ResolvingTheClient_WithBadConfiguration_ThrowsTheSameError()
    {
        var services = new ServiceCollection();
        services.AddHybridInference(o => o.Routing.LocalContextLimit = 0).AddLocalBackend("local", _ => new FakeChatClient());
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IChatClient>());

        Assert.Contains(error.Failures, f => f.Contains("HybridInference:Routing:LocalContextLimit", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ConfigureInCode_Works()
    {
        var local = new FakeChatClient("local").Reply("hi");
        var services = new ServiceCollection();
        services.AddHybridInference(o => (o.Routing.LocalContextLimit, o.Routing.DefaultOutputTokens) = (1000, 256)).AddLocalBackend("local", _ => local);
        using var provider = services.BuildServiceProvider();

        var response = await provider.GetRequiredService<IChatClient>().GetResponseAsync("Hello");

        Assert.Equal("hi", response.Text);
    }
}
