using System.Text.Json;
using System.Text.RegularExpressions;
using HybridInference.DependencyInjection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using static HybridInference.Tests.DependencyInjection.ConfigurationValueCheckTests;

namespace HybridInference.Tests.DependencyInjection;

/// <summary>
/// A key under <c>HybridInference</c> that nothing reads stops start-up, named in full with the nearest known key;
/// <c>AllowUnknownKeys</c> makes it one warning in the log; every key of the documentation's configuration examples is known.
/// </summary>
public sealed partial class UnknownConfigurationKeyTests
{
    /// <summary>A typo in each section, and the key it was meant to be.</summary>
    public static TheoryData<string, string> Typos() => new()
    {
        { "Routing:LocalContextLimt", "Routing:LocalContextLimit" },
        { "Routng:LocalContextLimit", "Routing" },
        { "AllowUnknownKey", "AllowUnknownKeys" },
        { "Validation:ExtractJsn", "Validation:ExtractJson" },
        { "Classification:DefaultCategroy", "Classification:DefaultCategory" },
        { "Classification:Rules:0:Keyword:0", "Classification:Rules:0:Keywords" },
        { "Local:LoadBalacing", "Local:LoadBalancing" },
        { "Local:Backends:0:ContextWindw", "Local:Backends:0:ContextWindow" },
        { "Local:Backends:0:Tokeniser", "Local:Backends:0:Tokenizer" },
        { "Cloud:RequestsPerMinut", "Cloud:RequestsPerMinute" },
        { "Cloud:Backends:0:ApiKy", "Cloud:Backends:0:ApiKey" },
        { "Pricing:gpt-4:InputPerMillionToken", "Pricing:gpt-4:InputPerMillionTokens" },
        { "LocalCost:PerGpuSecnd", "LocalCost:PerGpuSecond" },
        { "Privacy:Acton", "Privacy:Action" },
        { "Privacy:Topics:BuiltInn:0", "Privacy:Topics:BuiltIn" },
        { "Privacy:Topics:Custom:deals:Keyword:0", "Privacy:Topics:Custom:deals:Keywords" },
        { "Observability:RetentionDay", "Observability:RetentionDays" },
        { "Refinement:Instructon", "Refinement:Instruction" },
        { "Refinement:Outbox:MaxAttemps", "Refinement:Outbox:MaxAttempts" },
    };

    [Theory]
    [MemberData(nameof(Typos))]
    public void TypoInAnySection_StopsStartUp_NamingTheFullKeyAndTheNearestKnownOne(string typo, string meant)
    {
        var values = Valid();
        values["HybridInference:Privacy:Topics:Custom:deals:Keywords:0"] = "Project Falcon";
        values[$"HybridInference:{typo}"] = "1";

        var error = StartupFailure(InMemory(values));

        var unknown = typo.Split(':');
        var reported = string.Join(':', unknown.Take(meant.Split(':').Length));
        Assert.Contains(
            $"HybridInference:{reported} is not a configuration key of HybridInference: nothing reads it. Did you mean HybridInference:{meant}?",
            error.Failures);
        Assert.Contains(error.Failures, f => f.StartsWith("HybridInference:AllowUnknownKeys", StringComparison.Ordinal));
    }

    /// <summary>Keys of the seed's configuration template (inference-config.yaml) that the library does not support.</summary>
    [Theory]
    [InlineData("Local:Backends:0:GpuMemoryUtilization", "0.85")]
    [InlineData("Local:Backends:0:MaxBatchTokens", "4096")]
    [InlineData("Cloud:FallbackModels:0", "claude-3-sonnet")]
    [InlineData("Observability:Metrics:0", "cost_per_task")]
    public void KeyOfTheSeedTemplateTheLibraryDoesNotSupport_IsReportedWithTheKeysThatExistThere(string key, string value)
    {
        var error = StartupFailure(key, value);

        var parent = string.Join(':', key.Split(':')[..^(key.EndsWith(":0", StringComparison.Ordinal) ? 2 : 1)]);
        var unknown = key.EndsWith(":0", StringComparison.Ordinal) ? key[..^2] : key;
        var failure = Assert.Single(error.Failures, f => f.StartsWith($"HybridInference:{unknown} ", StringComparison.Ordinal));
        Assert.StartsWith($"HybridInference:{unknown} is not a configuration key of HybridInference: nothing reads it; the keys under HybridInference:{parent} are ", failure);
        Assert.DoesNotContain(value, string.Join('\n', error.Failures), StringComparison.Ordinal);
    }

    [Fact]
    public void SeveralUnknownKeys_AreAllListed()
    {
        var values = Valid();
        values["HybridInference:Routing:LocalContextLimt"] = "4096";
        values["HybridInference:Local:Backends:0:GpuMemoryUtilization"] = "0.85";
        values["HybridInference:Telemetry:Enabled"] = "true";

        var error = StartupFailure(InMemory(values));

        Assert.Equal(3, error.Failures.Count(f => f.Contains(" is not a configuration key of HybridInference", StringComparison.Ordinal)));
    }

    [Fact]
    public void AllowUnknownKeys_StartsWithThemIgnored_AndLogsOneWarningNamingThem_HoweverOftenTheOptionsAreValidated()
    {
        var values = Valid();
        values["HybridInference:AllowUnknownKeys"] = "true";
        values["HybridInference:Routing:LocalContextLimt"] = "secret-looking-value";
        values["HybridInference:Local:Backends:0:GpuMemoryUtilization"] = "0.85";
        using var provider = BuildWithLogs(values);

        provider.GetRequiredService<IStartupValidator>().Validate();
        _ = provider.GetRequiredService<IOptions<HybridInferenceOptions>>().Value;
        _ = provider.GetRequiredService<IOptionsMonitor<HybridInferenceOptions>>().Get(Options.DefaultName);
        _ = provider.GetRequiredService<IOptionsFactory<HybridInferenceOptions>>().Create(Options.DefaultName);

        var warning = Assert.Single(provider.GetFakeLogCollector().GetSnapshot(), r => r.Level == LogLevel.Warning);
        Assert.Contains("HybridInference:Routing:LocalContextLimt is not a configuration key", warning.Message, StringComparison.Ordinal);
        Assert.Contains("HybridInference:Local:Backends:0:GpuMemoryUtilization is not a configuration key", warning.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-looking-value", warning.Message, StringComparison.Ordinal);
        Assert.Equal(4096, provider.GetRequiredService<IOptions<HybridInferenceOptions>>().Value.Routing.LocalContextLimit ?? 4096);
    }

    [Fact]
    public void KnownKeysOnly_NothingIsLogged()
    {
        using var provider = BuildWithLogs(Valid());

        provider.GetRequiredService<IStartupValidator>().Validate();

        Assert.DoesNotContain(provider.GetFakeLogCollector().GetSnapshot(), r => r.Level >= LogLevel.Warning);
    }

    private static ServiceProvider BuildWithLogs(Dictionary<string, string?> values)
    {
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.AddFakeLogging());
        services.AddHybridInference(InMemory(values))
            .AddLocalBackend("local", _ => new FakeChatClient("local"))
            .AddCloudBackend("cloud", _ => new FakeChatClient("cloud"));
        return services.BuildServiceProvider();
    }

    /// <summary>
    /// Every configuration example of the documentation: the JSON blocks of the READMEs in the repository (a block
    /// that is a fragment of the section is read as its content), DESIGN.md's (a copy in TestData; DESIGN.md lives
    /// outside the repository) and the samples' appsettings.json files.
    /// </summary>
    public static TheoryData<string> Examples() => [.. ExampleNames()];

    private static List<string> ExampleNames()
    {
        var data = new List<string>();
        foreach (var readme in new[] { "README.md", "src/HybridInference.OpenAI/README.md", "src/HybridInference.Anthropic/README.md", "src/HybridInference.Sqlite/README.md", "src/HybridInference.Tokenizers/README.md" })
        {
            var blocks = JsonBlock().Matches(File.ReadAllText(RepoPaths.Source(readme)));
            for (var i = 0; i < blocks.Count; i++)
            {
                data.Add($"{readme}#{i}");
            }
        }

        data.Add("tests/HybridInference.Tests/TestData/design-configuration.json");
        foreach (var sample in Directory.GetDirectories(RepoPaths.Source("samples")))
        {
            if (File.Exists(Path.Combine(sample, "appsettings.json")))
            {
                data.Add($"samples/{Path.GetFileName(sample)}/appsettings.json");
            }
        }

        return data;
    }

    [Fact]
    public void Examples_AreFound()
    {
        var examples = ExampleNames();

        Assert.Contains("README.md#0", examples);
        Assert.Contains("src/HybridInference.OpenAI/README.md#0", examples);
        Assert.Contains("samples/HybridInference.Demo/appsettings.json", examples);
        Assert.True(examples.Count >= 8, string.Join(", ", examples));
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void ConfigurationExample_HasOnlyKnownKeys_AndBindsCleanly(string example)
    {
        var section = Section(example);
        var unknown = new List<string>();

        var errors = ConfigurationValueCheck.Check(section, typeof(HybridInferenceOptions), null, unknown);

        Assert.Empty(unknown);
        Assert.Empty(errors);
        Assert.True(section.AsEnumerable().Count(pair => pair.Value is not null) >= 2, $"{example} holds no keys.");
    }

    private static IConfigurationSection Section(string example)
    {
        string json;
        if (example.Split('#') is [var readme, var index])
        {
            json = JsonBlock().Matches(File.ReadAllText(RepoPaths.Source(readme)))[int.Parse(index, System.Globalization.CultureInfo.InvariantCulture)].Groups[1].Value.Trim();
            if (!json.StartsWith('{'))
            {
                json = "{" + json + "}"; // A fragment: members of the HybridInference section.
            }
        }
        else
        {
            json = File.ReadAllText(RepoPaths.Source(example));
        }

        using (var document = JsonDocument.Parse(json))
        {
            if (!document.RootElement.TryGetProperty(HybridInferenceOptions.SectionName, out _))
            {
                json = $"{{ \"{HybridInferenceOptions.SectionName}\": {json} }}";
            }
        }

        return JsonSettings.Parse(json).GetSection(HybridInferenceOptions.SectionName);
    }

    [GeneratedRegex(@"^```json\s*\n(.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex JsonBlock();
}
