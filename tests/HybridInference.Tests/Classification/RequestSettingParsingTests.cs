using System.Text.Json;
using System.Text.Json.Nodes;
using HybridInference.Classification;
using HybridInference.Tokens;
using Microsoft.Extensions.DependencyInjection;
using static HybridInference.Tests.Chain.Requests;

namespace HybridInference.Tests.Classification;

/// <summary>
/// The per-request settings under their public keys, in every form a caller or a deserializer can hand over: each is
/// honoured, or refused with an <see cref="ArgumentException"/> naming the key; never read as "not set".
/// </summary>
public sealed class RequestSettingParsingTests
{
    private static ChatOptions With(string key, object? value) => new() { AdditionalProperties = new() { [key] = value } };

    private static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();

    public static TheoryData<object, DataPolicy> DataPolicyForms() => new()
    {
        { DataPolicy.LocalOnly, DataPolicy.LocalOnly },
        { DataPolicy.Any, DataPolicy.Any },
        { "LocalOnly", DataPolicy.LocalOnly },
        { "localonly", DataPolicy.LocalOnly },
        { "LOCALONLY", DataPolicy.LocalOnly },
        { " LocalOnly ", DataPolicy.LocalOnly },
        { "any", DataPolicy.Any },
        { "1", DataPolicy.LocalOnly },
        { 1, DataPolicy.LocalOnly },
        { 1L, DataPolicy.LocalOnly },
        { (short)1, DataPolicy.LocalOnly },
        { (byte)1, DataPolicy.LocalOnly },
        { 1u, DataPolicy.LocalOnly },
        { 1ul, DataPolicy.LocalOnly },
        { 1.0, DataPolicy.LocalOnly },
        { 1m, DataPolicy.LocalOnly },
        { 0, DataPolicy.Any },
        { Json("\"LocalOnly\""), DataPolicy.LocalOnly },
        { Json("\"localOnly\""), DataPolicy.LocalOnly },
        { Json("1"), DataPolicy.LocalOnly },
        { Json("0"), DataPolicy.Any },
        { JsonValue.Create("LocalOnly"), DataPolicy.LocalOnly },
        { JsonValue.Create(1), DataPolicy.LocalOnly },
        { JsonNode.Parse("\"localonly\"")!, DataPolicy.LocalOnly },
    };

    [Theory]
    [MemberData(nameof(DataPolicyForms))]
    public void GetDataPolicy_AnyFormOfAValue_IsHonoured(object value, DataPolicy expected)
    {
        Assert.Equal(expected, With(HybridChatOptionsExtensions.DataPolicyKey, value).GetDataPolicy());
    }

    public static TheoryData<object> InvalidValues() => new()
    {
        7,
        -1,
        2,
        long.MaxValue,
        ulong.MaxValue,
        1.5,
        double.NaN,
        double.PositiveInfinity,
        1.5m,
        "7",
        "-1",
        "",
        "   ",
        "LocalOnlyy",
        "Local Only",
        "Any, LocalOnly",
        "Any,LocalOnly",
        "LocalOnly,",
        "0x1",
        true,
        false,
        'L',
        Json("7"),
        Json("1.5"),
        Json("\"7\""),
        Json("\"nonsense\""),
        Json("true"),
        Json("{}"),
        Json("[\"LocalOnly\"]"),
        JsonValue.Create(7),
        JsonValue.Create("nonsense"),
        JsonNode.Parse("{\"a\":1}")!,
        new object(),
        new[] { DataPolicy.LocalOnly },
        PiiAction.LocalOnly, // An enum of another type, even with the same name, is not a data policy.
        LoadBalancingStrategy.Ordered,
        Guid.Empty,
    };

    [Theory]
    [MemberData(nameof(InvalidValues))]
    public void GetDataPolicy_ValueInAnUnexpectedForm_ThrowsNamingTheKey(object value)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => With(HybridChatOptionsExtensions.DataPolicyKey, value).GetDataPolicy());

        Assert.IsType<ArgumentException>(error);
        Assert.Equal("options", error.ParamName);
        Assert.Contains(HybridChatOptionsExtensions.DataPolicyKey, error.Message, StringComparison.Ordinal);
        Assert.Contains("Any, LocalOnly", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(7)]
    [InlineData(-1)]
    [InlineData(2)]
    [InlineData(int.MinValue)]
    public void GetDataPolicy_UndefinedBoxedEnum_ThrowsNeverAny(int undefined)
    {
        var error = Assert.Throws<ArgumentException>(() => With(HybridChatOptionsExtensions.DataPolicyKey, (DataPolicy)undefined).GetDataPolicy());

        Assert.Contains(HybridChatOptionsExtensions.DataPolicyKey, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GetDataPolicy_NoValueOrNull_IsNotSet()
    {
        Assert.Null(new ChatOptions().GetDataPolicy());
        Assert.Null(new ChatOptions { AdditionalProperties = [] }.GetDataPolicy());
        Assert.Null(With(HybridChatOptionsExtensions.DataPolicyKey, null).GetDataPolicy());
        Assert.Null(With(HybridChatOptionsExtensions.DataPolicyKey, Json("null")).GetDataPolicy());
        Assert.Null(((ChatOptions?)null).GetDataPolicy());
    }

    public static TheoryData<object, TaskCategory> TaskCategoryForms() => new()
    {
        { TaskCategory.SafetyCritical, TaskCategory.SafetyCritical },
        { TaskCategory.Routine, TaskCategory.Routine },
        { "SafetyCritical", TaskCategory.SafetyCritical },
        { "safetycritical", TaskCategory.SafetyCritical },
        { "COMPLEX", TaskCategory.Complex },
        { "2", TaskCategory.SafetyCritical },
        { 2, TaskCategory.SafetyCritical },
        { 1L, TaskCategory.Complex },
        { (byte)0, TaskCategory.Routine },
        { 2.0, TaskCategory.SafetyCritical },
        { Json("\"complex\""), TaskCategory.Complex },
        { Json("2"), TaskCategory.SafetyCritical },
        { JsonValue.Create("Complex"), TaskCategory.Complex },
    };

    [Theory]
    [MemberData(nameof(TaskCategoryForms))]
    public void GetTaskCategory_AnyFormOfAValue_IsHonoured(object value, TaskCategory expected)
    {
        Assert.Equal(expected, With(HybridChatOptionsExtensions.TaskCategoryKey, value).GetTaskCategory());
    }

    public static TheoryData<object> InvalidCategories() => new()
    {
        (TaskCategory)7,
        (TaskCategory)(-1),
        3,
        -1,
        2.5,
        "7",
        "Critical",
        "Routine, Complex", // "Routine | Complex" would be Complex: a list is not a category.
        "Complex,SafetyCritical",
        "",
        true,
        Json("3"),
        Json("\"hard\""),
        Json("[]"),
        DataPolicy.LocalOnly,
        new object(),
    };

    [Theory]
    [MemberData(nameof(InvalidCategories))]
    public void GetTaskCategory_ValueInAnUnexpectedForm_ThrowsNamingTheKey(object value)
    {
        var error = Assert.Throws<ArgumentException>(() => With(HybridChatOptionsExtensions.TaskCategoryKey, value).GetTaskCategory());

        Assert.Equal("options", error.ParamName);
        Assert.Contains(HybridChatOptionsExtensions.TaskCategoryKey, error.Message, StringComparison.Ordinal);
        Assert.Contains("Routine, Complex, SafetyCritical", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GetSettings_BoxedEnumOrNoValue_AllocateNothing()
    {
        // The hot path: the classifier, the fallback and each cloud attempt read the policy per request.
        var set = new ChatOptions().WithDataPolicy(DataPolicy.LocalOnly).WithTaskCategory(TaskCategory.Complex);
        var unset = new ChatOptions { AdditionalProperties = new() { ["other"] = 1 } };
        _ = set.GetDataPolicy();
        _ = set.GetTaskCategory();
        _ = unset.GetDataPolicy();

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            _ = set.GetDataPolicy();
            _ = set.GetTaskCategory();
            _ = unset.GetDataPolicy();
            _ = unset.GetTaskCategory();
            _ = ((ChatOptions?)null).GetDataPolicy();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void GetSettings_ValueMessage_DoesNotEchoALongValue()
    {
        var secretish = new string('x', 200) + "sk-secret";
        var error = Assert.Throws<ArgumentException>(() => With(HybridChatOptionsExtensions.DataPolicyKey, secretish).GetDataPolicy());

        Assert.DoesNotContain("sk-secret", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AdditionalProperties_DeserializedFromJson_KeepTheDataPolicy()
    {
        // Options that travelled as JSON (a queue, a proxy) come back with JsonElement values.
        var json = JsonSerializer.Serialize(new ChatOptions().WithDataPolicy(DataPolicy.LocalOnly).WithTaskCategory(TaskCategory.SafetyCritical));
        var options = JsonSerializer.Deserialize<ChatOptions>(json)!;

        Assert.Equal(DataPolicy.LocalOnly, options.GetDataPolicy());
        Assert.Equal(TaskCategory.SafetyCritical, options.GetTaskCategory());
    }

    [Theory]
    [InlineData("\"LocalOnly\"")]
    [InlineData("\"localonly\"")]
    [InlineData("1")]
    public void Classify_DataPolicyFromJson_IsLocalOnly(string json)
    {
        var classifier = new TaskClassifier(new ClassificationOptions(), new HeuristicTokenCounter());

        var profile = classifier.Classify(User("Summarize this patient record."), With(HybridChatOptionsExtensions.DataPolicyKey, Json(json)));

        Assert.Equal(DataPolicy.LocalOnly, profile.DataPolicy);
    }

    [Theory]
    [InlineData(HybridChatOptionsExtensions.DataPolicyKey)]
    [InlineData(HybridChatOptionsExtensions.TaskCategoryKey)]
    public void Classify_UndefinedValue_ThrowsInsteadOfTheDefault(string key)
    {
        var classifier = new TaskClassifier(new ClassificationOptions(), new HeuristicTokenCounter());

        var error = Assert.Throws<ArgumentException>(() => classifier.Classify(User("Summarize this."), With(key, 7)));

        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }
}

/// <summary>The same through the whole chain: a policy in another form keeps the request local; a bad one calls no backend.</summary>
public sealed class RequestSettingChainTests
{
    private static (IChatClient Chat, FakeChatClient Local, FakeChatClient Cloud, ServiceProvider Provider) Chain()
    {
        var local = new FakeChatClient("local") { DefaultReply = _ => "local answer" };
        var cloud = new FakeChatClient("cloud") { DefaultReply = _ => "cloud answer" };
        var services = new ServiceCollection();
        services.AddHybridInference(_ => { })
            .AddLocalBackend("local", _ => local)
            .AddCloudBackend("cloud", _ => cloud);
        var provider = services.BuildServiceProvider();
        return (provider.GetRequiredService<IChatClient>(), local, cloud, provider);
    }

    public static TheoryData<object> LocalOnlyForms() => new()
    {
        "LocalOnly",
        "localonly",
        1,
        1L,
        JsonDocument.Parse("\"LocalOnly\"").RootElement.Clone(),
        JsonDocument.Parse("1").RootElement.Clone(),
    };

    [Theory]
    [MemberData(nameof(LocalOnlyForms))]
    public async Task GetResponseAsync_LocalOnlyInAnotherForm_NeverReachesTheCloud(object value)
    {
        var (chat, local, cloud, provider) = Chain();
        using var _ = provider;
        var options = new ChatOptions { AdditionalProperties = new() { [HybridChatOptionsExtensions.DataPolicyKey] = value } }
            .WithTaskCategory(TaskCategory.Complex); // Complex goes to the cloud unless the policy keeps it local.

        var response = await chat.GetResponseAsync("Find the root cause of this deadlock.", options);

        Assert.Equal("local answer", response.Text);
        Assert.Empty(cloud.Requests);
        Assert.Single(local.Requests);
    }

    [Theory]
    [InlineData(HybridChatOptionsExtensions.DataPolicyKey)]
    [InlineData(HybridChatOptionsExtensions.TaskCategoryKey)]
    public async Task GetResponseAsync_UndefinedSetting_ThrowsAndCallsNoBackend(string key)
    {
        var (chat, local, cloud, provider) = Chain();
        using var _ = provider;
        var options = new ChatOptions { AdditionalProperties = new() { [key] = 7 } };

        var error = await Assert.ThrowsAsync<ArgumentException>(() => chat.GetResponseAsync("Summarize this.", options));

        Assert.Contains(key, error.Message, StringComparison.Ordinal);
        Assert.Empty(local.Requests);
        Assert.Empty(cloud.Requests);
    }
}
