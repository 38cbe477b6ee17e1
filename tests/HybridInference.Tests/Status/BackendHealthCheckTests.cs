using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace HybridInference.Tests.Status;

/// <summary>
/// What the status and the health checks say of a failed backend: the error's type, kind and status code, never its
/// message (a server's words, which may quote the key or the prompt), whether a request or a probe failed.
/// </summary>
public sealed class BackendHealthCheckTests
{
    private const string Secret = "sk-live-SENTINEL-0f9e8d7c6b5a";
    private const string Prompt = "PROMPT-SENTINEL-4a3b2c1d";
    private const string ServerText = "Invalid key " + Secret + " for '" + Prompt + "'";

    public static TheoryData<string, string> RequestFailures => new()
    {
        { "server error", "BackendException: ServerError 500" },
        { "unauthorized", "BackendException: Unauthorized 401" },
        { "bad request", "BackendException: BadRequest 400" },
        { "backend failure without status", "BackendException: Disconnected" },
        { "context window", "ContextWindowExceededException" },
        { "transport", "HttpRequestException" },
        { "timeout", "TimeoutException" },
        { "bug", "InvalidOperationException" },
    };

    public static TheoryData<string, string> ProbeFailures => new()
    {
        { "unhealthy with a failure", "health probe: BackendException: ModelLoading 503" },
        { "unhealthy with a description only", "health probe: unhealthy" },
        { "degraded with a description only", "health probe: unhealthy" },
        { "throws", "health probe: HttpRequestException" },
    };

    private static Exception Failure(string kind) => kind switch
    {
        "server error" => new BackendException(BackendErrorKind.ServerError, ServerText, 500),
        "unauthorized" => new BackendException(BackendErrorKind.Unauthorized, ServerText, 401),
        "bad request" => new BackendException(BackendErrorKind.BadRequest, ServerText, 400),
        "backend failure without status" => new BackendException(BackendErrorKind.Disconnected, ServerText),
        "context window" => new ContextWindowExceededException(ServerText),
        "transport" => new HttpRequestException(ServerText),
        "timeout" => new TimeoutException(ServerText),
        _ => new InvalidOperationException(ServerText),
    };

    private static ServiceProvider Build(IChatClient local)
    {
        const string Json = """
            { "HybridInference": {
                "Local": { "HealthCheckInterval": "00:00:01", "Backends": [ { "Name": "local", "Provider": "vllm", "Model": "local-model" } ] },
                "Cloud": { "Backends": [ { "Name": "cloud", "Provider": "openai", "Model": "cloud-model" } ] } } }
            """;
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider());
        services.AddHybridInference(JsonSettings.Parse(Json).GetSection("HybridInference"))
            .AddLocalBackend("local", _ => local)
            .AddCloudBackend("cloud", _ => new FakeChatClient("cloud") { DefaultReply = _ => "from the cloud" });
        services.AddHealthChecks().AddHybridInferenceBackends();
        return services.BuildServiceProvider();
    }

    private static async Task<(BackendStatus Status, string HealthText)> ReadAsync(ServiceProvider services)
    {
        var status = services.GetRequiredService<IHybridInferenceStatus>().GetStatus().Backends.Single(b => b.Name == "local");
        var entry = (await services.GetRequiredService<HealthCheckService>().CheckHealthAsync()).Entries["hybrid_inference:local"];
        return (status, $"{entry.Description} {entry.Exception} {string.Join(", ", entry.Data.Select(d => $"{d.Key}={d.Value}"))}");
    }

    [Theory]
    [MemberData(nameof(RequestFailures))]
    public async Task FailedRequest_StatusAndHealthCheck_CarryTheTypeKindAndStatusCodeOnly(string kind, string expected)
    {
        var local = new FakeChatClient("local");
        for (var i = 0; i < 3; i++)
        {
            local.Throw(Failure(kind));
        }

        await using var services = Build(local);
        var chat = services.GetRequiredService<IChatClient>();

        try
        {
            await chat.GetResponseAsync(Prompt);
        }
        catch (Exception ex) when (ex is HybridInferenceException or HttpRequestException or TimeoutException or InvalidOperationException)
        {
            // Whether the cloud took over depends on the kind; the status is what is checked.
        }

        var (status, health) = await ReadAsync(services);

        Assert.NotEmpty(local.Requests);
        Assert.Equal(expected, status.LastError);
        Assert.Contains($"last_error={expected}", health, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, health, StringComparison.Ordinal);
        Assert.DoesNotContain(Prompt, health, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(ProbeFailures))]
    public async Task FailedProbe_StatusAndHealthCheck_CarryTheTypeKindAndStatusCodeOnly_NeverTheProbesDescription(string kind, string expected)
    {
        var local = new ProbedClient(kind);
        await using var services = Build(local);
        _ = services.GetRequiredService<IChatClient>();
        var time = (FakeTimeProvider)services.GetRequiredService<TimeProvider>();

        time.Advance(TimeSpan.FromSeconds(1));
        await services.GetRequiredService<HybridInference.Status.ChainComponents>().Pools[0].Monitor!.LastRound;
        var (status, health) = await ReadAsync(services);

        Assert.Equal(BackendHealth.Ejected, status.Health);
        Assert.Equal(expected, status.LastError);
        Assert.Contains($"last_error={expected}", health, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, health, StringComparison.Ordinal);
        Assert.DoesNotContain(Prompt, health, StringComparison.Ordinal);
    }

    /// <summary>A backend whose probe fails as told, with the server's words (a key and a prompt) in its result.</summary>
    private sealed class ProbedClient(string kind) : DelegatingChatClient(new FakeChatClient("local")), IBackendHealthProbe
    {
        public Task<HealthCheckResult> CheckHealthAsync(CancellationToken cancellationToken = default) => kind switch
        {
            "unhealthy with a failure" => Task.FromResult(HealthCheckResult.Unhealthy(ServerText, new BackendException(BackendErrorKind.ModelLoading, ServerText, 503))),
            "unhealthy with a description only" => Task.FromResult(HealthCheckResult.Unhealthy(ServerText)),
            "degraded with a description only" => Task.FromResult(HealthCheckResult.Degraded(ServerText)),
            _ => throw new HttpRequestException(ServerText),
        };
    }
}
