using HybridInference.Tokens;
using Microsoft.Extensions.DependencyInjection;
using static HybridInference.Tests.Chain.Requests;

namespace HybridInference.Tests.Routing;

/// <summary>
/// <c>Routing:DefaultOutputTokens</c> in the window check, through <c>AddHybridInference</c>: a request that sets no
/// <c>MaxOutputTokens</c> needs its prompt plus the reserve in the window, so one whose prompt fits but whose answer
/// would not is routed as too long (escalated as <see cref="RouteReason.ContextLimit"/>, or refused with
/// <see cref="ContextWindowExceededException"/> when local-only, nothing sent); a caller's <c>MaxOutputTokens</c> wins.
/// </summary>
public sealed class OutputBudgetTests
{
    private static readonly string Prompt = LongText(700); // about 2,100 estimated tokens: more than half of every reserve below
    private static readonly int PromptTokens = new HeuristicTokenCounter().CountPromptTokens(User(Prompt), null);

    /// <summary>Reserves, and by how much the window misses (negative) or holds (0 and up) prompt plus reserve.</summary>
    public static TheoryData<int, int> Margins()
    {
        var data = new TheoryData<int, int>();
        foreach (var reserve in new[] { 1, 64, 1024, 3000 })
        {
            foreach (var margin in new[] { -(reserve / 2) - 1, -1, 0, 1, 500 }.Distinct())
            {
                data.Add(reserve, margin);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Margins))]
    public async Task MayLeave_PromptFitsButNotTheReserve_IsEscalatedAsTooLong(int reserve, int margin)
    {
        var window = PromptTokens + reserve + margin;
        using var chain = Chain.Build(window, reserve);

        var outcome = (await chain.Client.GetResponseAsync(User(Prompt))).GetRouteOutcome()!;

        Assert.True(PromptTokens <= window); // the prompt alone always fits
        Assert.Equal(PromptTokens, outcome.EstimatedPromptTokens);
        Assert.Equal(
            margin >= 0 ? (BackendLane.Local, RouteReason.Default) : (BackendLane.Cloud, RouteReason.ContextLimit),
            (outcome.Target, outcome.DecisionReason));
    }

    [Theory]
    [MemberData(nameof(Margins))]
    public async Task LocalOnly_PromptFitsButNotTheReserve_IsRefusedWithBothSizes_AndNothingIsSent(int reserve, int margin)
    {
        var window = PromptTokens + reserve + margin;
        using var chain = Chain.Build(window, reserve);
        var request = chain.Client.GetResponseAsync(User(Prompt), new ChatOptions().WithDataPolicy(DataPolicy.LocalOnly));

        if (margin >= 0)
        {
            Assert.Equal(BackendLane.Local, (await request).GetRouteOutcome()!.Target);
            Assert.Equal(1, chain.Local.RequestCount);
        }
        else
        {
            var refused = await Assert.ThrowsAsync<ContextWindowExceededException>(() => request);
            Assert.Equal((PromptTokens + reserve, window), (refused.RequiredTokens, refused.ContextWindow));
            Assert.Equal(0, chain.Local.RequestCount);
        }

        Assert.Equal(0, chain.Cloud.RequestCount);
    }

    [Theory]
    [InlineData(1024, 1, 0)] // the reserve would not fit; the caller's small limit does
    [InlineData(1024, 100, 99)]
    [InlineData(3000, 200, 200)]
    [InlineData(64, 500, 499)] // the caller's limit is larger than the reserve and does not fit
    [InlineData(64, 2000, 1000)]
    public async Task CallersMaxOutputTokens_Wins_OverTheReserve(int reserve, int callers, int room)
    {
        // The window holds the prompt and `room` output tokens.
        var window = PromptTokens + room;
        using var chain = Chain.Build(window, Math.Min(reserve, window - 1));

        var outcome = (await chain.Client.GetResponseAsync(User(Prompt), new ChatOptions { MaxOutputTokens = callers })).GetRouteOutcome()!;

        Assert.Equal(callers <= room ? BackendLane.Local : BackendLane.Cloud, outcome.Target);
        if (chain.Local.Requests.Count > 0)
        {
            Assert.Equal(callers, chain.Local.Requests[0].Options?.MaxOutputTokens); // the caller's options are passed on as they are
        }
    }

    [Fact]
    public async Task NoMaxOutputTokens_TheCallersOptionsAreNotChanged()
    {
        using var chain = Chain.Build(8192, 1024);
        var options = new ChatOptions();

        await chain.Client.GetResponseAsync(User("hi"), options);

        Assert.Null(options.MaxOutputTokens);
        Assert.Null(Assert.Single(chain.Local.Requests).Options?.MaxOutputTokens); // the wire writer adds max_tokens, not the chain
    }

    [Theory]
    [InlineData(1024, 0)]
    [InlineData(3000, 1)]
    [InlineData(64, 50)]
    public async Task CloudBudget_CountsThePromptAndTheCallersOutput_NotTheLocalReserve(int reserve, int spare)
    {
        // The budget holds the prompt twice a minute (and `spare` tokens): charged the reserve too, the second would not fit.
        using var chain = Chain.Build(PromptTokens + reserve + 1, reserve, tokensPerMinute: (2 * PromptTokens) + spare);
        var complex = new ChatOptions().WithTaskCategory(TaskCategory.Complex);

        var first = (await chain.Client.GetResponseAsync(User(Prompt), complex)).GetRouteOutcome()!;
        var second = (await chain.Client.GetResponseAsync(User(Prompt), complex)).GetRouteOutcome()!;

        Assert.Equal((BackendLane.Cloud, RouteReason.Category), (first.Target, first.DecisionReason));
        Assert.Equal((BackendLane.Cloud, RouteReason.Category), (second.Target, second.DecisionReason));
        Assert.Equal(2, chain.Cloud.RequestCount);
    }

    [Fact]
    public void RequiredContextTokens_IsPromptPlusRequestedOutput_ElseTheReserve()
    {
        var profile = new TaskProfile(TaskCategory.Routine, CategorySource.Default, 100, null, false, DataPolicy.Any) { DefaultOutputTokens = 1024 };

        Assert.Equal(1124, profile.RequiredContextTokens);
        Assert.Equal(107, (profile with { MaxOutputTokens = 7 }).RequiredContextTokens);
        Assert.Equal(int.MaxValue, (profile with { MaxOutputTokens = int.MaxValue }).RequiredContextTokens);
        Assert.Equal(100, (profile with { DefaultOutputTokens = 0 }).RequiredContextTokens);
    }

    private sealed class Chain : IDisposable
    {
        private readonly ServiceProvider _provider;

        private Chain(ServiceProvider provider, FakeChatClient local, FakeChatClient cloud)
        {
            _provider = provider;
            Local = local;
            Cloud = cloud;
            Client = provider.GetRequiredService<IChatClient>();
        }

        public IChatClient Client { get; }

        public FakeChatClient Local { get; }

        public FakeChatClient Cloud { get; }

        public static Chain Build(int window, int reserve, int? tokensPerMinute = null)
        {
            var local = new FakeChatClient("local") { DefaultReply = _ => "local" };
            var cloud = new FakeChatClient("cloud") { DefaultReply = _ => "cloud" };
            var services = new ServiceCollection();
            services.AddHybridInference(o =>
            {
                o.Local.Backends.Add(new BackendOptions { Name = "local", ContextWindow = window });
                o.Cloud.Backends.Add(new BackendOptions { Name = "cloud", Model = "cloud-model" });
                o.Routing.DefaultOutputTokens = reserve;
                o.Cloud.TokensPerMinute = tokensPerMinute;
                o.Cloud.RateLimitQueueTime = TimeSpan.Zero;
            })
                .AddLocalBackend("local", _ => local)
                .AddCloudBackend("cloud", _ => cloud);
            return new Chain(services.BuildServiceProvider(), local, cloud);
        }

        public void Dispose() => _provider.Dispose();
    }
}
