using HybridInference.Cost;
using HybridInference.Internal;

namespace HybridInference.Tests.Cost;

public sealed class CostCalculatorTests
{
    private static readonly BackendInfo Gpt = new("openai", BackendLane.Cloud, "openai", "gpt-4-turbo", null);
    private static readonly BackendInfo Claude = new("anthropic", BackendLane.Cloud, "anthropic", "claude-3-sonnet", null);
    private static readonly BackendInfo Vllm = new("vllm", BackendLane.Local, "vllm", "mistral", null);

    private static CostCalculator Create(Action<HybridInferenceOptions>? configure = null)
    {
        var options = new HybridInferenceOptions();
        options.Pricing["gpt-4-turbo"] = new ModelPrice { InputPerMillionTokens = 10, OutputPerMillionTokens = 30 };
        options.Pricing["claude-3-sonnet"] = new ModelPrice { InputPerMillionTokens = 3, OutputPerMillionTokens = 15 };
        configure?.Invoke(options);
        return new CostCalculator(options, [Gpt, Claude]);
    }

    [Fact]
    public void Cost_PricedModel_UsesPerMillionPrices()
    {
        var costs = Create();

        Assert.Equal(0.025, costs.Cost(BackendLane.Cloud, costs.FindPrice(Gpt), 1000, 500, TimeSpan.Zero), 12);
    }

    [Fact]
    public void Cost_LocalWithoutPrice_FreeByDefault_OrPerTokenAndGpuSecond()
    {
        Assert.Equal(0, Create().Cost(BackendLane.Local, null, 1000, 500, TimeSpan.FromSeconds(2)));

        var costs = Create(o =>
        {
            o.LocalCost.InputPerMillionTokens = 0.1;
            o.LocalCost.OutputPerMillionTokens = 0.2;
            o.LocalCost.PerGpuSecond = 0.001;
        });

        // 1000 * 0.1/1M + 500 * 0.2/1M + 2 s * 0.001 = 0.0001 + 0.0001 + 0.002
        Assert.Equal(0.0022, costs.Cost(BackendLane.Local, costs.FindPrice(Vllm), 1000, 500, TimeSpan.FromSeconds(2)), 12);
    }

    [Fact]
    public void CloudBaseline_IsTheCheapestConfiguredCloudModelForTheseTokens()
    {
        var costs = Create();

        // Claude: 1000*3 + 500*15 = 10500 / 1M; GPT: 1000*10 + 500*30 = 25000 / 1M.
        Assert.Equal(0.0105, costs.CloudBaseline(1000, 500).CostUsd, 12);
        Assert.True(costs.HasCloudBaseline);
    }

    [Fact]
    public void CloudBaseline_NoCloudPrices_IsZero()
    {
        var costs = new CostCalculator(new HybridInferenceOptions(), [Gpt]);

        Assert.Equal(0, costs.CloudBaseline(1000, 500).CostUsd);
        Assert.False(costs.HasCloudBaseline);
    }

    [Fact]
    public void FindPrice_IsCaseInsensitive_AndFallsBackToTheBackendName()
    {
        var costs = Create(o => o.Pricing["vllm"] = new ModelPrice { InputPerMillionTokens = 1 });

        Assert.NotNull(costs.FindPrice("GPT-4-TURBO"));
        Assert.Equal(1, costs.FindPrice(Vllm)!.InputPerMillionTokens);
    }
}
