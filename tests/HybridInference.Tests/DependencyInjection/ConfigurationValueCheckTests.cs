using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace HybridInference.Tests.DependencyInjection;

/// <summary>
/// Every key that binds, handed a value in a form the options do not expect (wrong type, undefined enum value, a list
/// of names, a non-finite number, a single value for a section or a section for a single value), stops start-up naming
/// its full key; inside a backend, a rule, a price or a pattern the binder would otherwise drop the whole entry.
/// </summary>
public sealed class ConfigurationValueCheckTests
{
    private const string Prefix = "HybridInference";

    internal static IConfigurationSection InMemory(IEnumerable<KeyValuePair<string, string?>> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build().GetSection(Prefix);

    internal static IConfigurationSection FromJson(string json) =>
        JsonSettings.Parse(json).GetSection(Prefix);

    /// <summary>A valid configuration: one local and one cloud backend, by code, each also listed in configuration.</summary>
    internal static Dictionary<string, string?> Valid() => new()
    {
        ["HybridInference:Local:Backends:0:Name"] = "local",
        ["HybridInference:Cloud:Backends:0:Name"] = "cloud",
        ["HybridInference:Classification:Rules:0:Category"] = "Complex",
        ["HybridInference:Classification:Rules:0:Keywords:0"] = "deadlock",
        ["HybridInference:Pricing:gpt-4:InputPerMillionTokens"] = "10",
        ["HybridInference:Pricing:gpt-4:OutputPerMillionTokens"] = "30",
        ["HybridInference:Privacy:CustomPatterns:EmployeeId"] = "EMP-[0-9]{6}",
    };

    internal static ServiceProvider Build(IConfiguration section)
    {
        var services = new ServiceCollection();
        services.AddHybridInference(section)
            .AddLocalBackend("local", _ => new FakeChatClient("local"))
            .AddCloudBackend("cloud", _ => new FakeChatClient("cloud"));
        return services.BuildServiceProvider();
    }

    internal static OptionsValidationException StartupFailure(IConfiguration section)
    {
        using var provider = Build(section);
        return Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
    }

    internal static OptionsValidationException StartupFailure(string key, string? value)
    {
        var values = Valid();
        values[$"{Prefix}:{key}"] = value;
        return StartupFailure(InMemory(values));
    }

    [Fact]
    public void ValidConfiguration_StartsAndBindsEveryEntry()
    {
        using var provider = Build(InMemory(Valid()));

        provider.GetRequiredService<IStartupValidator>().Validate();
        var options = provider.GetRequiredService<IOptions<HybridInferenceOptions>>().Value;
        Assert.Equal(("local", "cloud"), (Assert.Single(options.Local.Backends).Name, Assert.Single(options.Cloud.Backends).Name));
        Assert.Single(options.Classification.Rules);
        Assert.Equal(30, options.Pricing["gpt-4"].OutputPerMillionTokens);
        Assert.Single(options.Privacy.CustomPatterns);
    }

    public static TheoryData<string, string> WrongValues() => new()
    {
        // Routing
        { "Routing:LocalContextLimit", "big" },
        { "Routing:LocalContextLimit", "1.5" },
        { "Routing:LocalContextLimit", "99999999999" },
        { "Routing:FallbackMaxRetries", "two" },
        { "Routing:EscalationThreshold", "high" },
        { "Routing:EscalationThreshold", "1e309" },
        { "Routing:EscalationThreshold", "NaN" },
        { "Routing:EscalationThreshold", "-Infinity" },
        { "Routing:SamplingWindow", "1 minute" },
        { "Routing:MinimumThroughput", "many" },
        { "Routing:BreakDuration", "30s" },
        { "Routing:RequestTimeout", "soon" },
        { "Routing:RecoveryRamp", "slowly" },
        { "Routing:HedgeDelay", "5ms" },

        // Validation, Classification
        { "Validation:ExtractJson", "yes" },
        { "Validation:AssertFormats", "2" },
        { "Classification:DefaultCategory", "7" },
        { "Classification:DefaultCategory", "Hard" },
        { "Classification:DefaultCategory", "Routine, Complex" },
        { "Classification:DefaultDataPolicy", "7" },
        { "Classification:DefaultDataPolicy", "-1" },
        { "Classification:DefaultDataPolicy", "Never" },
        { "Classification:DefaultDataPolicy", "Any,LocalOnly" },
        { "Classification:UseBuiltInRules", "maybe" },
        { "Classification:ToolsCategory", "9" },
        { "Classification:ToolsCategory", "Hard" },
        { "Classification:ComplexConversationMessages", "lots" },

        // The lanes
        { "Local:LoadBalancing", "Random" },
        { "Local:LoadBalancing", "7" },
        { "Local:FailuresBeforeEjection", "3.5" },
        { "Local:EjectionDuration", "half a minute" },
        { "Local:TimeToFirstToken", "x" },
        { "Local:HealthCheckInterval", "x" },
        { "Cloud:LoadBalancing", "Ordered, LeastOutstanding" },
        { "Cloud:LoadBalancing", "4" },
        { "Cloud:FailuresBeforeEjection", "x" },
        { "Cloud:EjectionDuration", "x" },
        { "Cloud:TimeToFirstToken", "x" },
        { "Cloud:HealthCheckInterval", "x" },
        { "Cloud:RequestsPerMinute", "unlimited" },
        { "Cloud:TokensPerMinute", "1e3" },
        { "Cloud:RateLimitQueueTime", "x" },

        // Cost, privacy, observability
        { "LocalCost:InputPerMillionTokens", "cheap" },
        { "LocalCost:InputPerMillionTokens", "1e309" },
        { "LocalCost:OutputPerMillionTokens", "NaN" },
        { "LocalCost:PerGpuSecond", "Infinity" },
        { "Privacy:Action", "7" },
        { "Privacy:Action", "Block" },
        { "Privacy:Action", "LocalOnly, Redact" },
        { "Observability:RetentionDays", "forever" },
        { "Observability:CaptureMessageContent", "sometimes" },

        // Inside collection elements, where the binder drops the whole element.
        { "Local:Backends:0:Weight", "heavy" },
        { "Local:Backends:0:Weight", "2.5" },
        { "Local:Backends:0:Weight", "1e309" },
        { "Local:Backends:0:ContextWindow", "8k" },
        { "Local:Backends:0:MaxConcurrentRequests", "unbounded" },
        { "Local:Backends:0:Timeout", "100s" },
        { "Local:Backends:0:AllowInsecureHttp", "sure" },
        { "Cloud:Backends:0:Weight", "heavy" },
        { "Cloud:Backends:0:Weight", "" },
        { "Cloud:Backends:0:ContextWindow", "128k" },
        { "Cloud:Backends:0:MaxConcurrentRequests", "-" },
        { "Cloud:Backends:0:Timeout", "1 minute" },
        { "Cloud:Backends:0:AllowInsecureHttp", "no!" },
        { "Classification:Rules:0:Category", "Hard" },
        { "Classification:Rules:0:Category", "7" },
        { "Classification:Rules:0:Category", "Complex,SafetyCritical" },
        { "Pricing:gpt-4:InputPerMillionTokens", "ten" },
        { "Pricing:gpt-4:InputPerMillionTokens", "1e309" },
        { "Pricing:gpt-4:OutputPerMillionTokens", "-1e309" },
        { "Pricing:gpt-4:OutputPerMillionTokens", "NaN" },
    };

    [Theory]
    [MemberData(nameof(WrongValues))]
    public void ValueThatCannotBeBound_StopsStartUp_NamingItsFullKey(string key, string value)
    {
        var error = StartupFailure(key, value);

        Assert.Contains(error.Failures, f => f.StartsWith($"{Prefix}:{key} ", StringComparison.Ordinal));
    }

    public static TheoryData<string, string> WrongShapes() => new()
    {
        // A single value where an entry (a section) is expected: the binder drops it.
        { """{"Cloud":{"Backends":["openai"]}}""", "Cloud:Backends:0" },
        { """{"Local":{"Backends":[{"Name":"local"},"vllm"]}}""", "Local:Backends:1" },
        { """{"Classification":{"Rules":["deadlock"]}}""", "Classification:Rules:0" },
        { """{"Pricing":{"gpt-4":10}}""", "Pricing:gpt-4" },
        { """{"Routing":5}""", "Routing" },
        { """{"Privacy":"Redact"}""", "Privacy" },

        // A section where a single value is expected.
        { """{"Privacy":{"CustomPatterns":{"EmployeeId":{"Pattern":"EMP-[0-9]{6}"}}}}""", "Privacy:CustomPatterns:EmployeeId" },
        { """{"Privacy":{"CustomPatterns":{"EmployeeId":["EMP-[0-9]{6}"]}}}""", "Privacy:CustomPatterns:EmployeeId" },
        { """{"Classification":{"Rules":[{"Category":"Complex","Keywords":[{"word":"deadlock"}]}]}}""", "Classification:Rules:0:Keywords:0" },
        { """{"Routing":{"LocalContextLimit":{"Value":4096}}}""", "Routing:LocalContextLimit" },
        { """{"Cloud":{"Backends":[{"Name":"cloud","Weight":[2]}]}}""", "Cloud:Backends:0:Weight" },
        { """{"Local":{"Backends":[{"Name":"local","Endpoint":{"Host":"localhost"}}]}}""", "Local:Backends:0:Endpoint" },

        // Numbers JSON can write that are no finite double, and booleans where numbers belong.
        { """{"Pricing":{"gpt-4":{"InputPerMillionTokens":1e309}}}""", "Pricing:gpt-4:InputPerMillionTokens" },
        { """{"LocalCost":{"PerGpuSecond":-1e400}}""", "LocalCost:PerGpuSecond" },
        { """{"Routing":{"EscalationThreshold":1e309}}""", "Routing:EscalationThreshold" },
        { """{"Cloud":{"Backends":[{"Name":"cloud","Weight":true}]}}""", "Cloud:Backends:0:Weight" },
        { """{"Classification":{"Rules":[{"Category":1.5,"Keywords":["x"]}]}}""", "Classification:Rules:0:Category" },
    };

    [Theory]
    [MemberData(nameof(WrongShapes))]
    public void ValueOfTheWrongShape_StopsStartUp_NamingItsFullKey(string section, string key)
    {
        var error = StartupFailure(FromJson($$"""{"HybridInference":{{section}}}"""));

        Assert.Contains(error.Failures, f => f.StartsWith($"{Prefix}:{key} ", StringComparison.Ordinal));
    }

    [Fact]
    public void OneBadWeight_OnTheOnlyCloudBackend_StopsStartUpInsteadOfGoingOffline()
    {
        // The example: the binder dropped the entry and the app ran with no cloud at all.
        var error = StartupFailure(FromJson("""
            {"HybridInference":{"Local":{"Backends":[{"Name":"local"}]},
                                "Cloud":{"Backends":[{"Name":"cloud","Provider":"openai","Model":"gpt-4o","Weight":"3x"}]}}}
            """));

        var failure = Assert.Single(error.Failures, f => f.Contains("Weight", StringComparison.Ordinal));
        Assert.Equal("HybridInference:Cloud:Backends:0:Weight cannot be read as a whole number from -2147483648 to 2147483647.", failure);
    }

    [Fact]
    public void SeveralBadValues_AreAllListed()
    {
        var values = Valid();
        values["HybridInference:Routing:LocalContextLimit"] = "big";
        values["HybridInference:Privacy:Action"] = "7";
        values["HybridInference:Local:Backends:0:Weight"] = "heavy";
        values["HybridInference:Cloud:Backends:0:Timeout"] = "x";
        values["HybridInference:Pricing:gpt-4:InputPerMillionTokens"] = "1e309";
        values["HybridInference:Classification:Rules:0:Category"] = "Hard";

        var error = StartupFailure(InMemory(values));

        foreach (var key in new[] { "Routing:LocalContextLimit", "Privacy:Action", "Local:Backends:0:Weight", "Cloud:Backends:0:Timeout", "Pricing:gpt-4:InputPerMillionTokens", "Classification:Rules:0:Category" })
        {
            Assert.Contains(error.Failures, f => f.StartsWith($"{Prefix}:{key} ", StringComparison.Ordinal));
        }
    }

    [Theory]
    [InlineData("Privacy:Action", "7", "None, LocalOnly, Redact")]
    [InlineData("Classification:DefaultDataPolicy", "7", "Any, LocalOnly")]
    [InlineData("Classification:Rules:0:Category", "3", "Routine, Complex, SafetyCritical")]
    [InlineData("Local:LoadBalancing", "9", "Ordered, WeightedRoundRobin, LeastOutstanding, PowerOfTwoChoices")]
    public void UndefinedEnumValue_NamesTheValuesItMayTake(string key, string value, string names)
    {
        var error = StartupFailure(key, value);

        Assert.Contains(error.Failures, f => f.StartsWith($"{Prefix}:{key} is not one of {names}", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Privacy:Action", "redact")]
    [InlineData("Privacy:Action", "2")]
    [InlineData("Classification:DefaultDataPolicy", "localonly")]
    [InlineData("Classification:ToolsCategory", "")]
    [InlineData("Routing:RequestTimeout", "")]
    [InlineData("Local:Backends:0:Endpoint", "")]
    [InlineData("Cloud:Backends:0:ContextWindow", "")]
    [InlineData("Routing:EscalationThreshold", "0.5")]
    [InlineData("Local:Backends:0:Weight", "7")]
    [InlineData("Cloud:Backends:0:AllowInsecureHttp", "TRUE")]
    [InlineData("Privacy:Topics:BuiltIn:0", "HEALTH")]
    public void ValueThatBinds_DoesNotStopStartUp(string key, string value)
    {
        var values = Valid();
        values[$"{Prefix}:{key}"] = value;
        using var provider = Build(InMemory(values));

        provider.GetRequiredService<IStartupValidator>().Validate();
    }

    [Theory]
    [InlineData("Routing:LocalContextLimit", "sk-live-SECRET")]
    [InlineData("Cloud:Backends:0:Weight", "sk-live-SECRET")]
    [InlineData("Privacy:Action", "sk-live-SECRET")]
    public void BadValue_IsNotQuotedInTheError(string key, string value)
    {
        var error = StartupFailure(key, value);

        Assert.DoesNotContain("SECRET", error.Message, StringComparison.Ordinal);
        Assert.All(error.Failures, f => Assert.DoesNotContain("SECRET", f, StringComparison.Ordinal));
    }

    public static TheoryData<Action<HybridInferenceOptions>, string> UndefinedInCode() => new()
    {
        { o => o.Privacy.Action = (PiiAction)7, "HybridInference:Privacy:Action" },
        { o => o.Classification.DefaultDataPolicy = (DataPolicy)7, "HybridInference:Classification:DefaultDataPolicy" },
        { o => o.Classification.ToolsCategory = (TaskCategory)7, "HybridInference:Classification:ToolsCategory" },
        { o => o.Local.LoadBalancing = (LoadBalancingStrategy)7, "HybridInference:Local:LoadBalancing" },
        { o => o.Cloud.LoadBalancing = (LoadBalancingStrategy)(-1), "HybridInference:Cloud:LoadBalancing" },
        { o => o.Pricing["gpt-4"] = new ModelPrice { InputPerMillionTokens = double.PositiveInfinity }, "HybridInference:Pricing:gpt-4:InputPerMillionTokens" },
        { o => o.Pricing["gpt-4"] = new ModelPrice { OutputPerMillionTokens = double.NaN }, "HybridInference:Pricing:gpt-4:OutputPerMillionTokens" },
        { o => o.LocalCost.PerGpuSecond = double.PositiveInfinity, "HybridInference:LocalCost:PerGpuSecond" },
        { o => o.Routing.EscalationThreshold = double.NaN, "HybridInference:Routing:EscalationThreshold" },
    };

    [Theory]
    [MemberData(nameof(UndefinedInCode))]
    public void UndefinedOrNonFiniteValueSetInCode_StopsStartUp_NamingTheKey(Action<HybridInferenceOptions> configure, string key)
    {
        var services = new ServiceCollection();
        services.AddHybridInference(configure).AddLocalBackend("local", _ => new FakeChatClient());
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains(error.Failures, f => f.Contains(key, StringComparison.Ordinal));
    }

    /// <summary>
    /// Every leaf key of the options (found from the types, so a key added later is covered too), in the entries
    /// <see cref="Valid"/> has for collections, with a value of the wrong type, and for enums an undefined number and
    /// for floating-point numbers one that overflows to infinity.
    /// </summary>
    public static TheoryData<string, string> EveryLeafKey()
    {
        var data = new TheoryData<string, string>();
        foreach (var (key, type) in Leaves(typeof(HybridInferenceOptions), string.Empty))
        {
            var target = Nullable.GetUnderlyingType(type) ?? type;
            if (target == typeof(string) || target == typeof(Uri))
            {
                continue; // Every text converts.
            }

            data.Add(key, "{not a value}");
            if (target.IsEnum)
            {
                data.Add(key, "77");
            }
            else if (target == typeof(double) || target == typeof(float))
            {
                data.Add(key, "1e309");
            }
        }

        return data;
    }

    private static IEnumerable<(string Key, Type Type)> Leaves(Type type, string prefix)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var key = prefix.Length == 0 ? property.Name : $"{prefix}:{property.Name}";
            var propertyType = property.PropertyType;
            var target = Nullable.GetUnderlyingType(propertyType) ?? propertyType;
            if (target.IsValueType || target == typeof(string) || target == typeof(Uri))
            {
                if (property.SetMethod?.IsPublic == true)
                {
                    yield return (key, propertyType);
                }
            }
            else if (target.IsGenericType && target.GetGenericTypeDefinition() == typeof(IDictionary<,>))
            {
                var entry = key.EndsWith("Pricing", StringComparison.Ordinal) ? "gpt-4" : "EmployeeId";
                foreach (var leaf in Children(target.GetGenericArguments()[1], $"{key}:{entry}"))
                {
                    yield return leaf;
                }
            }
            else if (target.IsGenericType && target.GetGenericTypeDefinition() == typeof(IList<>))
            {
                foreach (var leaf in Children(target.GetGenericArguments()[0], $"{key}:0"))
                {
                    yield return leaf;
                }
            }
            else
            {
                foreach (var leaf in Leaves(target, key))
                {
                    yield return leaf;
                }
            }
        }
    }

    private static IEnumerable<(string Key, Type Type)> Children(Type element, string key) =>
        element == typeof(string) ? [(key, element)] : Leaves(element, key);

    [Fact]
    public void EveryLeafKey_CoversTheOptions()
    {
        var keys = EveryLeafKey().Select(row => (string)row[0]).ToHashSet();

        // A sample of what the walk must find, in every part of the options.
        Assert.Superset(
            new HashSet<string>
            {
                "Routing:LocalContextLimit", "Routing:HedgeDelay", "Validation:ExtractJson", "Classification:DefaultDataPolicy",
                "Classification:Rules:0:Category", "Local:LoadBalancing", "Local:Backends:0:Weight", "Local:Backends:0:Timeout",
                "Local:Backends:0:AllowInsecureHttp", "Cloud:Backends:0:MaxConcurrentRequests", "Cloud:RateLimitQueueTime",
                "Pricing:gpt-4:InputPerMillionTokens", "LocalCost:PerGpuSecond", "Privacy:Action", "Observability:RetentionDays",
            },
            keys);
    }

    [Theory]
    [MemberData(nameof(EveryLeafKey))]
    public void EveryLeafKey_WithAValueOfTheWrongForm_StopsStartUp_NamingIt(string key, string value)
    {
        var error = StartupFailure(key, value);

        Assert.Contains(error.Failures, f => f.StartsWith($"{Prefix}:{key} ", StringComparison.Ordinal));
    }
}
