namespace HybridInference.Engine.Tests;

/// <summary>A missing engine fails the engine tests with the command that gets it; it is never a skip.</summary>
public sealed class EngineTests
{
    [Theory]
    [InlineData(null, "eng/test.sh")]
    [InlineData("0", "eng/test.sh")]
    [InlineData("1", "eng/test.sh should have built it")]
    public void Engine_Missing_FailsSayingHowToGetIt(string? required, string advice)
    {
        var nowhere = Path.Combine(Path.GetTempPath(), "hi-no-engine-" + Guid.NewGuid().ToString("N"));
        var environment = new Dictionary<string, string?>
        {
            ["HYBRID_ENGINE_CACHE"] = nowhere,
            [Engine.RequiredVariable] = required,
        };

        var error = Assert.Throws<InvalidOperationException>(() => Engine.Locate(name => environment.GetValueOrDefault(name)));

        Assert.Contains("llama-server", error.Message, StringComparison.Ordinal);
        Assert.Contains(nowhere, error.Message, StringComparison.Ordinal);
        Assert.Contains(Engine.ServerVariable, error.Message, StringComparison.Ordinal);
        Assert.Contains(advice, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Engine_ModelMissing_FailsNamingTheModel()
    {
        var server = Path.GetTempFileName();
        try
        {
            var environment = new Dictionary<string, string?> { [Engine.ServerVariable] = server, [Engine.ModelVariable] = server + ".missing.gguf" };

            var error = Assert.Throws<InvalidOperationException>(() => Engine.Locate(name => environment.GetValueOrDefault(name)));

            Assert.Contains("the tiny model", error.Message, StringComparison.Ordinal);
            Assert.Contains(Engine.ModelVariable, error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(server);
        }
    }
}
