using HybridInference.Telemetry;
using HybridInference.Tests.Chain;
using static HybridInference.Tests.Chain.Requests;

namespace HybridInference.Tests.Routing;

/// <summary>
/// Degrade, don't fail (on the fake clock, through the DI chain): work the cloud fails before any output is answered
/// locally at once when its category may degrade (Routing:OnCloudUnavailable), and fails with a typed error that
/// carries the cloud's failure when it may not.
/// </summary>
public sealed partial class CloudDegradationTests
{
    private static ChatOptions Category(TaskCategory category) => new ChatOptions().WithTaskCategory(category);

    private static HybridHost Host(string? onCloudUnavailable = null) => HybridHost.Create(onCloudUnavailable is null
        ? null
        : HybridHost.DefaultJsonWith("Routing", $"\"OnCloudUnavailable\": {{ {onCloudUnavailable} }}"));

    public static TheoryData<string> CloudFailures => ["server error", "timeout", "unreachable", "rate limited", "malformed", "raw transport", "breaker refusal"];

    private static Exception Failure(string kind) => kind switch
    {
        "server error" => new BackendException(BackendErrorKind.ServerError, "The backend 'cloud' answered 503.", 503),
        "timeout" => new BackendException(BackendErrorKind.Timeout, "The backend 'cloud' did not answer in time."),
        "unreachable" => new BackendException(BackendErrorKind.Unavailable, "The backend 'cloud' could not be reached."),
        "rate limited" => new BackendException(BackendErrorKind.RateLimited, "The backend 'cloud' answered 429.", 429, TimeSpan.FromSeconds(1)),
        "malformed" => new BackendException(BackendErrorKind.MalformedResponse, "The backend 'cloud' answered something else."),
        "raw transport" => new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused"),
        "breaker refusal" => new BackendException(BackendErrorKind.Unavailable, "The cloud lane's circuit breaker is open."),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    [Theory]
    [MemberData(nameof(CloudFailures))]
    public async Task CloudFails_ComplexWork_IsAnsweredLocallyAtOnce_WithReasonCloudUnavailable_AndCounted(string failure)
    {
        using var host = Host();
        host.Cloud!.Throw(Failure(failure));
        host.Local.Reply("local plan");

        var response = await host.Chat.GetResponseAsync(User("Plan the migration."), Category(TaskCategory.Complex));

        Assert.Equal("local plan", response.Text);
        var outcome = response.GetRouteOutcome()!;
        Assert.Equal((BackendLane.Local, RouteTarget.Local, RouteReason.CloudUnavailable), (outcome.Target, outcome.Decision, outcome.DecisionReason));
        Assert.Equal((1, 1), (host.Cloud.Requests.Count, host.Local.Requests.Count));
        Assert.Equal(1, host.Metrics.Sum(HybridInferenceTelemetry.Degradations, ("category", "complex")));
    }

    [Fact]
    public async Task Degradations_AreTaggedWithTheCloudsFailure()
    {
        using var host = Host();
        host.Cloud!.Throw(Failure("timeout")).Throw(Failure("server error"));
        host.Local.DefaultReply = _ => "local";

        await host.Chat.GetResponseAsync(User("Plan the migration."), Category(TaskCategory.Complex));
        await host.Chat.GetResponseAsync(User("Plan the migration."), Category(TaskCategory.Complex));

        Assert.Equal(1, host.Metrics.Sum(HybridInferenceTelemetry.Degradations, ("reason", "timeout")));
        Assert.Equal(1, host.Metrics.Sum(HybridInferenceTelemetry.Degradations, ("reason", "server_error")));
    }

    [Fact]
    public async Task SafetyCriticalWork_ByDefault_FailsWithCloudUnavailableException_CarryingTheCloudsFailure_AndNothingRunsLocally()
    {
        using var host = Host();
        var cause = Failure("server error");
        host.Cloud!.Throw(cause);

        var error = await Assert.ThrowsAsync<CloudUnavailableException>(() => host.Chat.GetResponseAsync(User("Check the dosage."), Category(TaskCategory.SafetyCritical)));

        Assert.Same(cause, error.InnerException);
        Assert.IsAssignableFrom<HybridInferenceException>(error);
        Assert.Contains("The cloud could not answer this SafetyCritical request (BackendException: ServerError 503)", error.Message, StringComparison.Ordinal);
        Assert.Contains("HybridInference:Routing:OnCloudUnavailable:SafetyCritical is Fail", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("answered 503", error.Message, StringComparison.Ordinal); // the server's words stay in the inner exception
        Assert.Empty(host.Local.Requests);
        Assert.Equal(RouteReason.Category, error.GetRouteOutcome()!.DecisionReason);
        Assert.Equal(0, host.Metrics.Sum(HybridInferenceTelemetry.Degradations));
    }

    [Fact]
    public async Task Configured_SafetyCriticalDegrades_AndComplexFails()
    {
        using var host = Host("\"SafetyCritical\": \"Degrade\", \"Complex\": \"Fail\"");
        host.Cloud!.Throw(Failure("server error")).Throw(Failure("server error"));
        host.Local.Reply("local check");

        var safety = await host.Chat.GetResponseAsync(User("Check the dosage."), Category(TaskCategory.SafetyCritical));
        var error = await Assert.ThrowsAsync<CloudUnavailableException>(() => host.Chat.GetResponseAsync(User("Plan the migration."), Category(TaskCategory.Complex)));

        Assert.Equal(("local check", RouteReason.CloudUnavailable), (safety.Text, safety.GetRouteOutcome()!.DecisionReason));
        Assert.Contains("OnCloudUnavailable:Complex is Fail", error.Message, StringComparison.Ordinal);
        Assert.Single(host.Local.Requests);
    }

    [Theory]
    [InlineData("bad request")]
    [InlineData("caller cancelled")]
    public async Task FailuresThatAreNotTheCloudBeingAway_AreNotDegraded(string kind)
    {
        using var host = Host();
        using var cancellation = new CancellationTokenSource();
        Exception failure = kind == "bad request"
            ? new BackendException(BackendErrorKind.BadRequest, "The backend 'cloud' answered 400.", 400)
            : new OperationCanceledException(cancellation.Token);
        if (kind == "caller cancelled")
        {
            await cancellation.CancelAsync();
        }

        host.Cloud!.Throw(failure);
        host.Local.Reply("never");

        var error = await Assert.ThrowsAnyAsync<Exception>(() => host.Chat.GetResponseAsync(User("Plan the migration."), Category(TaskCategory.Complex), kind == "caller cancelled" ? cancellation.Token : default));

        Assert.IsNotType<CloudUnavailableException>(error);
        Assert.Empty(host.Local.Requests);
    }

    [Fact]
    public async Task DegradedWork_WhoseLocalAnswerFails_IsNotSentBackToTheCloud()
    {
        using var host = Host();
        host.Cloud!.Throw(Failure("server error"));
        host.Local.Throw(new BackendException(BackendErrorKind.ServerError, "The backend 'local' answered 500.", 500));

        var error = await Assert.ThrowsAsync<LocalBackendUnavailableException>(() => host.Chat.GetResponseAsync(User("Plan the migration."), Category(TaskCategory.Complex)));

        Assert.Contains("the cloud, which it went to first, could not answer it", error.Message, StringComparison.Ordinal);
        Assert.Single(host.Cloud.Requests);
        Assert.Equal(RouteReason.CloudUnavailable, error.GetRouteOutcome()!.DecisionReason);
    }

    [Fact]
    public async Task WorkTooLongForEveryLocalWindow_FailsWithCloudUnavailableException_NamingTheSizes()
    {
        using var host = Host();
        host.Cloud!.Throw(Failure("server error"));

        var error = await Assert.ThrowsAsync<CloudUnavailableException>(() => host.Chat.GetResponseAsync(User(LongText(4000)), Category(TaskCategory.Complex)));

        Assert.Matches("it needs [0-9]+ tokens \\(prompt and output budget\\), more than the largest local context window \\(8192\\)", error.Message);
        Assert.Empty(host.Local.Requests);
    }

    [Fact]
    public async Task WorkSentToTheCloudForItsSize_IsNotDegraded_TheCloudsFailurePassesThrough()
    {
        using var host = Host();
        var cause = Failure("server error");
        host.Cloud!.Throw(cause);

        var error = await Assert.ThrowsAsync<BackendException>(() => host.Chat.GetResponseAsync(User(LongText(2000))));

        Assert.Same(cause, error);
        Assert.Empty(host.Local.Requests);
    }

    [Fact]
    public async Task SafetyCriticalWork_WhileTheCloudBreakerIsOpen_IsNotMovedLocally_ItFailsTyped()
    {
        using var host = Host();
        for (var i = 0; i < 5; i++)
        {
            host.Cloud!.Throw(Failure("server error"));
            await Assert.ThrowsAsync<CloudUnavailableException>(() => host.Chat.GetResponseAsync(User("Check the dosage."), Category(TaskCategory.SafetyCritical)));
        }

        var error = await Assert.ThrowsAsync<CloudUnavailableException>(() => host.Chat.GetResponseAsync(User("Check the dosage."), Category(TaskCategory.SafetyCritical)));

        Assert.Contains("circuit breaker is open", error.InnerException!.Message, StringComparison.Ordinal);
        Assert.Equal(5, host.Cloud!.Requests.Count);
        Assert.Empty(host.Local.Requests);
    }

    [Fact]
    public async Task SafetyCriticalWork_WithTheCloudBudgetSpent_FailsTyped_AroundTheBudgetsRefusal()
    {
        using var host = HybridHost.Create(HybridHost.DefaultJsonWith("Cloud", "\"RequestsPerMinute\": 1, \"RateLimitQueueTime\": \"00:00:00\""));
        host.Cloud!.DefaultReply = _ => "cloud";
        await host.Chat.GetResponseAsync(User("Check the dosage."), Category(TaskCategory.SafetyCritical));

        var error = await Assert.ThrowsAsync<CloudUnavailableException>(() => host.Chat.GetResponseAsync(User("Check the dosage."), Category(TaskCategory.SafetyCritical)));

        Assert.IsType<CloudRateLimitExceededException>(error.InnerException);
        Assert.Empty(host.Local.Requests);
    }

    [Fact]
    public async Task LocalOnlyWork_NeverReachesTheCloud_SoNothingDegrades()
    {
        using var host = Host();
        host.Local.Reply("local");

        var response = await host.Chat.GetResponseAsync(User("Plan the migration."), Category(TaskCategory.Complex).WithDataPolicy(DataPolicy.LocalOnly));

        Assert.Equal(RouteReason.LocalOnly, response.GetRouteOutcome()!.DecisionReason);
        Assert.Empty(host.Cloud!.Requests);
    }

    [Fact]
    public async Task AtOneRequestASecond_TheCloudBreakerOpensWithinSeconds_AndNoCallerOfDegradableWorkSeesAnError()
    {
        using var host = Host();
        host.Cloud!.DefaultReply = _ => throw Failure("server error");
        host.Local.DefaultReply = _ => "local";
        var reasons = new List<RouteReason>();

        for (var second = 0; second < 20; second++)
        {
            var response = await host.Chat.GetResponseAsync(User("Plan the migration."), Category(TaskCategory.Complex));
            reasons.Add(response.GetRouteOutcome()!.DecisionReason);
            host.Time.Advance(TimeSpan.FromSeconds(1));
        }

        // Routing:FailuresBeforeBreak (5) failures in a row open it, far below MinimumThroughput (20 a minute).
        Assert.Equal(Enumerable.Repeat(RouteReason.CloudUnavailable, 5), reasons.Take(5));
        Assert.Equal(Enumerable.Repeat(RouteReason.CloudCircuitOpen, 15), reasons.Skip(5));
        Assert.Equal(5, host.Cloud.Requests.Count);
    }
}
