namespace HybridInference.Engine.Tests;

/// <summary>
/// A real server slower than the backend's <c>Timeout</c> (a long answer): the error names the setting a user changes
/// and its value, the breaker counts the failure as what the backend said it was (a timeout), and a request that may
/// leave is answered by the cloud.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class TimeoutTests(EngineFixture engine) : SharedServerTest
{
    private protected override EngineFixture Shared => engine;

    private const string Key = "HybridInference:Local:Backends:0:Timeout";

    private Dictionary<string, string?> Settings()
    {
        var settings = EngineChain.Settings(engine.Server, engine.Cloud);
        settings[Key] = EngineChain.Seconds(0.5);
        return settings;
    }

    // 1,900 tokens of output take the tiny model well over half a second.
    private static ChatOptions Long() => new() { MaxOutputTokens = 1900 };

    [Fact]
    public async Task Timeout_OfALocalOnlyRequest_NamesTheConfigurationKeyAndValue_AndCountsAsATimeout()
    {
        await using var chain = EngineChain.Build(Settings());

        var error = await Assert.ThrowsAnyAsync<HybridInferenceException>(() => chain.Chat.GetResponseAsync("Tell a long story.", Long().WithDataPolicy(DataPolicy.LocalOnly)));

        var timeout = Find(error);
        Assert.True(timeout is not null, $"no BackendException of kind Timeout in {error}");
        Assert.Contains(Key, timeout!.Message, StringComparison.Ordinal);
        Assert.Contains("00:00:00.5", timeout.Message, StringComparison.Ordinal);
        Assert.True(!error.ToString().Contains("NetworkTimeout", StringComparison.Ordinal), error.ToString());
        AssertCountedAsTimeoutsOnly(chain);
    }

    [Fact]
    public async Task Timeout_OfARoutableRequest_IsAnsweredByTheCloud_AndCountsAsATimeout()
    {
        await using var chain = EngineChain.Build(Settings());

        var response = await chain.Chat.GetResponseAsync("Tell a long story.", Long());

        Assert.Equal(CloudFake.Answer, response.Text);
        Assert.Equal((BackendLane.Cloud, EscalationReason.LocalError), (response.GetRouteOutcome()!.Target, response.GetRouteOutcome()!.EscalationReason));
        AssertCountedAsTimeoutsOnly(chain);
    }

    private static void AssertCountedAsTimeoutsOnly(EngineChain chain)
    {
        var failures = chain.Status.LocalCircuitFailures.Where(f => f.Value > 0).ToDictionary();
        Assert.Equal([CircuitFailureReason.Timeout], failures.Keys);
    }

    private static BackendException? Find(Exception? error)
    {
        for (; error is not null; error = error.InnerException)
        {
            if (error is BackendException { Kind: BackendErrorKind.Timeout } timeout)
            {
                return timeout;
            }
        }

        return null;
    }
}
