using static HybridInference.Tests.Chain.Requests;

namespace HybridInference.Tests.Chain;

/// <summary>
/// The <c>configure</c> actions of the <c>Use...</c> methods, written the way <c>UseLogging</c>'s is: each runs when the
/// pipeline is built, on the options passed (or on new defaults), and what it sets is what the part does.
/// </summary>
public sealed class ConfigureActionTests
{
    private static IChatClient Pool(BackendLane lane, string name, IChatClient backend) =>
        new BackendPoolBuilder(lane).AddBackend(new BackendOptions { Name = name, Model = name + "-model" }, backend).Build();

    [Theory]
    [InlineData(DataPolicy.LocalOnly, BackendLane.Local)]
    [InlineData(DataPolicy.Any, BackendLane.Cloud)]
    public async Task UseTaskClassifier_Configure_RulesItSetsDecideTheRoute(DataPolicy defaultPolicy, BackendLane expected)
    {
        var local = new FakeChatClient("local-model") { DefaultReply = _ => "ok" };
        var cloud = new FakeChatClient("cloud-model") { DefaultReply = _ => "ok" };
        var cloudLane = Pool(BackendLane.Cloud, "cloud", cloud);
        using var chat = new ChatClientBuilder(Pool(BackendLane.Local, "local", local))
            .UseCostMeter()
            .UseTaskClassifier(configure: rules =>
            {
                rules.DefaultCategory = TaskCategory.Complex;
                rules.DefaultDataPolicy = defaultPolicy;
            })
            .UseHybridRouter(cloudLane)
            .Build();

        var response = await chat.GetResponseAsync(User("Say hello."));

        Assert.Equal(expected, response.GetRouteOutcome()!.Target);
        Assert.Equal(expected == BackendLane.Local ? 1 : 0, local.RequestCount);
        Assert.Equal(expected == BackendLane.Cloud ? 1 : 0, cloud.RequestCount);
    }

    [Fact]
    public async Task UseTaskClassifier_ConfigureAndOptions_ConfigureRunsOnThePassedOptions()
    {
        var options = new ClassificationOptions { DefaultCategory = TaskCategory.Complex };
        var local = new FakeChatClient("local-model") { DefaultReply = _ => "ok" };
        var cloud = new FakeChatClient("cloud-model") { DefaultReply = _ => "ok" };
        using var chat = new ChatClientBuilder(Pool(BackendLane.Local, "local", local))
            .UseCostMeter()
            .UseTaskClassifier(options, configure: rules => rules.DefaultDataPolicy = DataPolicy.LocalOnly)
            .UseHybridRouter(Pool(BackendLane.Cloud, "cloud", cloud))
            .Build();

        var response = await chat.GetResponseAsync(User("Say hello."));

        Assert.Equal((TaskCategory.Complex, BackendLane.Local), (response.GetRouteOutcome()!.Category, response.GetRouteOutcome()!.Target));
        Assert.Equal(DataPolicy.LocalOnly, options.DefaultDataPolicy);
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(false, false)]
    public async Task UseJsonValidation_Configure_ExtractJsonDecidesWhetherFencedJsonPasses(bool extractJson, bool passes)
    {
        var local = new FakeChatClient("local-model").Reply("```json\n" + ValidPerson + "\n```");
        using var lane = new ChatClientBuilder(Pool(BackendLane.Local, "local", local))
            .UseJsonValidation(configure: o => o.ExtractJson = extractJson)
            .Build();

        if (passes)
        {
            var response = await lane.GetResponseAsync(User("Extract the person."), Json());
            Assert.Contains("\"Ada\"", response.Text, StringComparison.Ordinal);
        }
        else
        {
            await Assert.ThrowsAsync<OutputValidationException>(() => lane.GetResponseAsync(User("Extract the person."), Json()));
        }
    }

    [Theory]
    [InlineData(2, 1)]
    [InlineData(3, 0)]
    public async Task UseCircuitBreaker_Configure_ThroughputItSetsDecidesWhenItOpens(int minimumThroughput, int rejectedAfterTwoFailures)
    {
        var local = new FakeChatClient("local-model") { DefaultReply = _ => throw new BackendException(BackendErrorKind.ServerError, "down", 500) };
        using var lane = new ChatClientBuilder(Pool(BackendLane.Local, "local", local))
            .UseCircuitBreaker(configure: o => o.MinimumThroughput = minimumThroughput)
            .Build();

        for (var i = 0; i < 2; i++)
        {
            await Assert.ThrowsAnyAsync<Exception>(() => lane.GetResponseAsync(User("Say hello.")));
        }

        var callsBefore = local.RequestCount;
        await Assert.ThrowsAnyAsync<Exception>(() => lane.GetResponseAsync(User("Say hello.")));
        Assert.Equal(1 - rejectedAfterTwoFailures, local.RequestCount - callsBefore);
    }

    [Theory]
    [InlineData(1, true)]
    [InlineData(5, false)]
    public async Task UseCloudBudget_Configure_RequestsPerMinuteItSetsHoldsTheSecondRequest(int requestsPerMinute, bool secondRefused)
    {
        var cloud = new FakeChatClient("cloud-model") { DefaultReply = _ => "ok" };
        using var lane = new ChatClientBuilder(Pool(BackendLane.Cloud, "cloud", cloud))
            .UseCloudBudget(configure: o =>
            {
                o.RequestsPerMinute = requestsPerMinute;
                o.RateLimitQueueTime = TimeSpan.Zero;
            })
            .Build();

        await lane.GetResponseAsync(User("Say hello."));
        if (secondRefused)
        {
            await Assert.ThrowsAsync<CloudRateLimitExceededException>(() => lane.GetResponseAsync(User("Say hello.")));
            Assert.Equal(1, cloud.RequestCount);
        }
        else
        {
            await lane.GetResponseAsync(User("Say hello."));
            Assert.Equal(2, cloud.RequestCount);
        }
    }
}
