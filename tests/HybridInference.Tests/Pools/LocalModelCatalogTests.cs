using HybridInference.Internal;
using HybridInference.Pools;

namespace HybridInference.Tests.Pools;

/// <summary>The quantization and capability rules of the choice of local model, one by one.</summary>
public sealed class LocalModelCatalogTests
{
    private static BackendInfo Backend(string model, QuantizationLevel quantization, ModelCapabilities capabilities = ModelCapabilities.None) =>
        new(model, BackendLane.Local, "vllm", model, ContextWindow: null) { Quantization = quantization, Capabilities = capabilities };

    private static LocalModel Model(QuantizationLevel quantization, ModelCapabilities capabilities = ModelCapabilities.None) =>
        new("m", capabilities, quantization, [0]);

    [Theory]
    [InlineData("Q2_K")]
    [InlineData("Q3_K_S")]
    [InlineData("Q3_K_M")]
    [InlineData("Q3_K_L")]
    public void LowBit_TakesRoutineTasksThatNeedNothing_AndTagging_Only(string level)
    {
        var model = Model(Enum.Parse<QuantizationLevel>(level), ModelCapabilities.Tools | ModelCapabilities.Code);
        Assert.True(LocalModelCatalog.Fits(model, ModelCapabilities.None, TaskCategory.Routine));
        Assert.True(LocalModelCatalog.Fits(model, ModelCapabilities.Classification, TaskCategory.Routine));
        Assert.False(LocalModelCatalog.Fits(model, ModelCapabilities.None, TaskCategory.Complex));
        Assert.False(LocalModelCatalog.Fits(model, ModelCapabilities.None, TaskCategory.SafetyCritical));
        Assert.False(LocalModelCatalog.Fits(model, ModelCapabilities.Reasoning, TaskCategory.Routine));
        Assert.False(LocalModelCatalog.Fits(model, ModelCapabilities.Code, TaskCategory.Routine));
        Assert.False(LocalModelCatalog.Fits(model, ModelCapabilities.Tools, TaskCategory.Routine));
    }

    [Theory]
    [InlineData("Q4_0")]
    [InlineData("Q4_1")]
    [InlineData("Q4_K_S")]
    public void BelowQ4KM_TakesNoReasoningExtractionCodeOrComplexTask(string level)
    {
        var model = Model(Enum.Parse<QuantizationLevel>(level), ModelCapabilities.Tools | ModelCapabilities.Code);
        Assert.True(LocalModelCatalog.Fits(model, ModelCapabilities.None, TaskCategory.Routine));
        Assert.True(LocalModelCatalog.Fits(model, ModelCapabilities.Tools, TaskCategory.Routine));
        Assert.False(LocalModelCatalog.Fits(model, ModelCapabilities.Reasoning, TaskCategory.Routine));
        Assert.False(LocalModelCatalog.Fits(model, ModelCapabilities.Code, TaskCategory.Routine));
        Assert.False(LocalModelCatalog.Fits(model, ModelCapabilities.None, TaskCategory.Complex));
    }

    [Theory]
    [InlineData("Q4_K_M")]
    [InlineData("Q5_K_M")]
    [InlineData("Q8_0")]
    [InlineData("F16")]
    [InlineData("AWQ")]
    [InlineData("GPTQ")]
    [InlineData("Unknown")]
    public void Q4KMOrBetter_OrUndeclared_TakesReasoningAndComplexTasks(string level)
    {
        var model = Model(Enum.Parse<QuantizationLevel>(level));
        Assert.True(LocalModelCatalog.Fits(model, ModelCapabilities.Reasoning, TaskCategory.Routine));
        Assert.True(LocalModelCatalog.Fits(model, ModelCapabilities.None, TaskCategory.Complex));
        Assert.True(LocalModelCatalog.Fits(model, ModelCapabilities.Reasoning, TaskCategory.SafetyCritical));
    }

    [Theory]
    [InlineData(ModelCapabilities.Code)]
    [InlineData(ModelCapabilities.Tools)]
    [InlineData(ModelCapabilities.Vision)]
    public void RequiredCapabilities_MustBeDeclared(ModelCapabilities need)
    {
        Assert.False(LocalModelCatalog.Fits(Model(QuantizationLevel.Q8_0), need, TaskCategory.Routine));
        Assert.True(LocalModelCatalog.Fits(Model(QuantizationLevel.Q8_0, need), need, TaskCategory.Routine));
    }

    [Fact]
    public void EmbeddingsOnlyModel_TakesNoChatRequest() =>
        Assert.False(LocalModelCatalog.Fits(Model(QuantizationLevel.F16, ModelCapabilities.Embeddings), ModelCapabilities.None, TaskCategory.Routine));

    [Fact]
    public void Choose_TaggingPrefersFewestBits_OtherWorkTheMost_CodeTheCodeModel()
    {
        var catalog = LocalModelCatalog.Create(
        [
            Backend("general", QuantizationLevel.Q5_K_M),
            Backend("tagger", QuantizationLevel.Q2_K, ModelCapabilities.Classification),
            Backend("coder", QuantizationLevel.Q4_K_M, ModelCapabilities.Code),
        ]);
        string First(ModelCapabilities needs, TaskCategory category = TaskCategory.Routine) => catalog.Models[catalog.Choose(needs, category).Order[0]].Name!;

        Assert.True(catalog.Active);
        Assert.Equal("tagger", First(ModelCapabilities.Classification));
        Assert.Equal("general", First(ModelCapabilities.None));
        Assert.Equal("general", First(ModelCapabilities.Reasoning));
        Assert.Equal("coder", First(ModelCapabilities.Code));
        Assert.Equal(1, catalog.Choose(ModelCapabilities.Code, TaskCategory.Routine).Fitting);
        Assert.Equal(0, catalog.Choose(ModelCapabilities.Tools, TaskCategory.Routine).Fitting);
        Assert.Equal(2, catalog.Choose(ModelCapabilities.None, TaskCategory.Complex).Fitting); // Not the Q2_K tagger.
    }

    [Fact]
    public void Create_BackendsOfOneModel_FormOnePool_AndNothingDeclaredIsInactive()
    {
        var catalog = LocalModelCatalog.Create([Backend("a", QuantizationLevel.Unknown), Backend("A", QuantizationLevel.Unknown), Backend("b", QuantizationLevel.Unknown)]);

        Assert.False(catalog.Active);
        Assert.Equal([[0, 1], [2]], catalog.Models.Select(m => m.Backends));
    }
}
