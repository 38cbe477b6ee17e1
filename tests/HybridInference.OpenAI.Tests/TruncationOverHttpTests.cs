using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace HybridInference.OpenAI.Tests;

/// <summary>
/// llama.cpp answers HTTP 500 <c>The model produced output that does not match the expected &lt;format&gt; format</c>
/// (older builds: <c>Failed to parse input at pos N</c>) when a grammar-constrained JSON answer was cut off: the chain
/// treats it as the truncated answer it is, like finish reason <c>length</c> (retried as truncation with twice the
/// room, escalated as a validation failure, counted by the breaker as validation, never as a server error, and never
/// against the backend's health).
/// </summary>
public sealed class TruncationOverHttpTests
{
    private static readonly JsonElement Schema = JsonDocument.Parse("""{"type":"object","properties":{"name":{"type":"string"}},"required":["name"]}""").RootElement;

    public static TheoryData<string> CutOff() => new()
    {
        "error-output-format-mismatch.500.json",
        "error-output-format-mismatch-content-only.500.json",
        "error-output-parse-failed-older.500.json",
    };

    private static ChatOptions Json(DataPolicy policy = DataPolicy.Any) =>
        new ChatOptions { ResponseFormat = ChatResponseFormat.ForJsonSchema(Schema, "person"), MaxOutputTokens = 64 }.WithDataPolicy(policy);

    private static Func<Microsoft.AspNetCore.Http.HttpContext, Task> ValidAnswer() =>
        Respond.Json(Fixture.Completion("llamacpp", """{"name":"Ada"}"""));

    [Theory]
    [MemberData(nameof(CutOff))]
    public async Task CutOffJson_IsRetriedAsTruncation_WithMoreRoom_AndIsNoServerError(string file)
    {
        await using var local = await LoopbackServer.StartAsync();
        await using var cloud = await LoopbackServer.StartAsync();
        local.ProbesApart = cloud.ProbesApart = true; // the chain probes them from the moment it is built
        local.Enqueue(Respond.File(Fixture.Path("llamacpp", file)));
        local.Enqueue(ValidAnswer());
        await using var services = Build(local, cloud);

        var response = await services.GetRequiredService<IChatClient>().GetResponseAsync("Who wrote the first program?", Json());

        var outcome = response.GetRouteOutcome()!;
        Assert.Equal("""{"name":"Ada"}""", response.Text);
        Assert.Equal((BackendLane.Local, 1, EscalationReason.None), (outcome.Target, outcome.ValidationFailures, outcome.EscalationReason));
        Assert.Contains("\"max_tokens\":128", local.Requests[1].Body, StringComparison.Ordinal); // The truncation retry's room: twice 64.
        var status = services.GetRequiredService<IHybridInferenceStatus>().GetStatus();
        var backend = status.Backends.Single(b => b.Name == "local");
        Assert.Equal((0, BackendHealth.Healthy, null), (backend.ConsecutiveFailures, backend.Health, backend.LastError));
        Assert.Equal(0, status.LocalCircuitFailures.GetValueOrDefault(CircuitFailureReason.ServerError));
        Assert.Equal(1, status.LocalCircuitFailures.GetValueOrDefault(CircuitFailureReason.Validation));
        Assert.Empty(cloud.Requests);
    }

    [Theory]
    [MemberData(nameof(CutOff))]
    public async Task CutOffEveryTime_MayLeave_IsEscalatedAsAValidationFailure(string file)
    {
        await using var local = await LoopbackServer.StartAsync();
        await using var cloud = await LoopbackServer.StartAsync();
        local.ProbesApart = cloud.ProbesApart = true; // the chain probes them from the moment it is built
        local.Default = Respond.File(Fixture.Path("llamacpp", file));
        cloud.Default = Respond.Json(Fixture.Completion("openai", """{"name":"Ada"}"""));
        await using var services = Build(local, cloud);

        var response = await services.GetRequiredService<IChatClient>().GetResponseAsync("Who wrote the first program?", Json());

        var outcome = response.GetRouteOutcome()!;
        Assert.Equal((BackendLane.Cloud, EscalationReason.ValidationFailed, 2), (outcome.Target, outcome.EscalationReason, outcome.ValidationFailures));
        Assert.Equal(2, local.Requests.Count);
        Assert.Equal(0, services.GetRequiredService<IHybridInferenceStatus>().GetStatus().Backends.Single(b => b.Name == "local").ConsecutiveFailures);
    }

    [Theory]
    [MemberData(nameof(CutOff))]
    public async Task CutOffEveryTime_LocalOnly_IsATruncatedOutputValidationFailure_AndNothingGoesToTheCloud(string file)
    {
        await using var local = await LoopbackServer.StartAsync();
        await using var cloud = await LoopbackServer.StartAsync();
        local.ProbesApart = cloud.ProbesApart = true; // the chain probes them from the moment it is built
        local.Default = Respond.File(Fixture.Path("llamacpp", file));
        await using var services = Build(local, cloud);

        var error = await Assert.ThrowsAsync<OutputValidationException>(
            () => services.GetRequiredService<IChatClient>().GetResponseAsync("Who wrote the first program?", Json(DataPolicy.LocalOnly)));

        Assert.Equal(ValidationFailureReason.Truncated, error.Reason);
        Assert.Empty(cloud.Requests);
    }

    [Theory]
    [MemberData(nameof(CutOff))]
    public async Task TheSameErrorWithoutAJsonRequest_StaysAServerError(string file)
    {
        await using var local = await LoopbackServer.StartAsync();
        local.ProbesApart = true; // the chain probes them from the moment it is built
        local.Default = Respond.File(Fixture.Path("llamacpp", file));
        var client = new OpenAICompatibleChatClient(new() { Provider = "llamacpp", Endpoint = local.V1, Name = "local" });

        // No grammar held the output, so nothing says it was cut off: the server failed to answer.
        var error = await Assert.ThrowsAsync<BackendException>(() => client.GetResponseAsync("Say hello"));

        Assert.Equal((BackendErrorKind.ServerError, 500), (error.Kind, error.StatusCode));
    }

    [Theory]
    [InlineData("llamacpp", "error-invalid-response-format-older.500.json")]
    [InlineData("localai", "error-backend-failure.500.json")]
    [InlineData("ollama", "error-invalid-format.500.json")]
    public async Task OtherServerErrorsOfAJsonRequest_StayServerErrors(string provider, string file)
    {
        await using var local = await LoopbackServer.StartAsync();
        local.ProbesApart = true; // the chain probes them from the moment it is built
        local.Default = Respond.File(Fixture.Path(provider, file));
        var client = new OpenAICompatibleChatClient(new() { Provider = provider, Endpoint = local.V1, Name = "local" });

        var error = await Assert.ThrowsAsync<BackendException>(() => client.GetResponseAsync("Say hello", Json()));

        Assert.Equal(BackendErrorKind.ServerError, error.Kind);
    }

    private static ServiceProvider Build(LoopbackServer local, LoopbackServer cloud)
    {
        var json = $$"""
            {
              "HybridInference": {
                "Local": { "Backends": [ { "Name": "local", "Provider": "llamacpp", "Endpoint": "{{local.V1}}", "Model": "m" } ] },
                "Cloud": { "Backends": [ { "Name": "openai", "Provider": "openai", "Endpoint": "{{cloud.V1}}", "Model": "gpt-4o", "ApiKey": "sk-test", "AllowInsecureHttp": true } ] }
              }
            }
            """;
        var configuration = JsonSettings.Parse(json);
        var services = new ServiceCollection();
        services.AddHybridInference(configuration.GetSection("HybridInference")).AddOpenAIProviders();
        return services.BuildServiceProvider();
    }
}
