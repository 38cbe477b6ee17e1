namespace HybridInference.Engine.Tests;

/// <summary>
/// A prompt the real server rejects as too long for its slot (HTTP 400 <c>exceed_context_size_error</c> with
/// <c>n_prompt_tokens</c> and <c>n_ctx</c>), sent because the configuration claims a larger window: escalated when the
/// request may leave; a <see cref="ContextWindowExceededException"/> with both sizes when it may not, and then the
/// cloud got nothing.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class TooLongPromptTests(EngineFixture engine) : SharedServerTest
{
    private protected override EngineFixture Shared => engine;

    // 2,500 words of 'hello' are 2,508 tokens for the server, over its 2,048 per slot; under 8,192 however counted.
    private static readonly string TooLong = string.Join(' ', Enumerable.Repeat("hello", 2500));

    private Dictionary<string, string?> Settings()
    {
        var settings = EngineChain.Settings(engine.Server, engine.Cloud);
        settings["HybridInference:Local:Backends:0:ContextWindow"] = "8192";
        settings["HybridInference:Routing:LocalContextLimit"] = "8192";
        return settings;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TooLongPrompt_ThatMayLeave_IsEscalatedToTheCloud(bool streamed)
    {
        await using var chain = EngineChain.Build(Settings());
        var marker = Guid.NewGuid().ToString("N");

        var (text, outcome) = await chain.AskAsync(marker + " " + TooLong, new ChatOptions { MaxOutputTokens = 8 }, streamed);

        Assert.Equal(CloudFake.Answer, text);
        Assert.Equal(BackendLane.Cloud, outcome.Target);
        Assert.True(engine.Cloud.Received(marker));
        Assert.Equal(0, chain.Status.LocalCircuitFailures.Values.Sum()); // the request's size is not the server's fault
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TooLongPrompt_ThatMustStayLocal_FailsWithContextWindowExceededAndBothSizes(bool streamed)
    {
        await using var chain = EngineChain.Build(Settings());
        var marker = Guid.NewGuid().ToString("N");
        var options = new ChatOptions { MaxOutputTokens = 8 }.WithDataPolicy(DataPolicy.LocalOnly);

        var error = await Assert.ThrowsAsync<ContextWindowExceededException>(() => chain.AskAsync(marker + " " + TooLong, options, streamed));

        Assert.Equal(2048, error.ContextWindow);
        Assert.True(error.RequiredTokens > 2048, $"required {error.RequiredTokens}");
        Assert.Contains("2048", error.Message, StringComparison.Ordinal);
        Assert.False(engine.Cloud.Received(marker));
        Assert.Equal(0, chain.Status.LocalCircuitFailures.Values.Sum());
    }
}
