using HybridInference.JsonSchema;
using static HybridInference.Tests.Chain.Requests;

namespace HybridInference.Tests.Fallback;

/// <summary>The fallback alone over fake lanes: bounded retries, escalation, and what each attempt receives.</summary>
public sealed class SchemaValidatingFallbackChatClientTests
{
    private static IChatClient Create(FakeChatClient local, FakeChatClient? cloud, int maxRetries = 1) =>
        new ChatClientBuilder(local).UseCostMeter()
            .UseSchemaValidatingFallback(cloud is null ? null : new ChatClientBuilder(cloud).UseJsonValidation(BackendLane.Cloud).Build(), maxRetries)
            .UseJsonValidation()
            .Build();

    [Fact]
    public async Task NoRetriesAllowed_EscalatesAfterTheFirstInvalidAnswer()
    {
        var local = new FakeChatClient("local").Reply("{}");
        var cloud = new FakeChatClient("cloud").Reply(ValidPerson);

        var response = await Create(local, cloud, maxRetries: 0).GetResponseAsync(User("Extract."), Json());

        Assert.Equal(ValidPerson, response.Text);
        Assert.Single(local.Requests);
        Assert.Single(cloud.Requests);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    public async Task AlwaysInvalid_MakesExactlyOnePlusMaxRetriesLocalAttemptsAndOneEscalation(int maxRetries)
    {
        var local = new FakeChatClient("local") { DefaultReply = _ => "[1, 2]" };
        var cloud = new FakeChatClient("cloud") { DefaultReply = _ => ValidPerson };

        await Create(local, cloud, maxRetries).GetResponseAsync(User("Extract."), Json());

        Assert.Equal(1 + maxRetries, local.Requests.Count);
        Assert.Single(cloud.Requests);
    }

    [Fact]
    public async Task RetryPrompt_CarriesThePreviousAnswerTheErrorsAndTheSchema()
    {
        var local = new FakeChatClient("local").Reply("""{"name":"Ada","age":"x","extra":1}""").Reply(ValidPerson);

        await Create(local, cloud: null).GetResponseAsync(User("Extract."), Json());

        var retry = local.Requests[1].Messages;
        Assert.Equal(3, retry.Count);
        Assert.Equal(ChatRole.Assistant, retry[1].Role);
        Assert.Contains("\"extra\":1", retry[1].Text);
        Assert.Contains("/age: expected integer but found string (type)", retry[2].Text);
        Assert.Contains("property 'extra' is not allowed", retry[2].Text);
        Assert.Contains("\"required\"", retry[2].Text);
    }

    [Fact]
    public async Task JsonWithoutSchema_OnlyNeedsToParse()
    {
        var local = new FakeChatClient("local").Reply("no").Reply("""{"anything":true}""");

        var response = await Create(local, cloud: null).GetResponseAsync(User("x"), new ChatOptions { ResponseFormat = ChatResponseFormat.Json });

        Assert.Equal(1, response.GetRouteOutcome()!.ValidationFailures);
    }

    [Fact]
    public async Task CallerCancellation_IsNotEscalated()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        var local = new FakeChatClient("local").Reply("ok");
        var cloud = new FakeChatClient("cloud").Reply("cloud");

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Create(local, cloud).GetResponseAsync(User("x"), null, cts.Token));

        Assert.Empty(cloud.Requests);
    }

    [Fact]
    public async Task InvalidSchema_TypedErrorNamingTheProblem()
    {
        var local = new FakeChatClient("local").Reply("{}");
        var schema = System.Text.Json.JsonDocument.Parse("""{"type":"objekt"}""").RootElement;

        var error = await Assert.ThrowsAsync<InvalidJsonSchemaException>(
            () => Create(local, cloud: null).GetResponseAsync(User("x"), new ChatOptions { ResponseFormat = ChatResponseFormat.ForJsonSchema(schema) }));

        Assert.Contains("objekt", error.Message);
    }

    [Fact]
    public async Task WithoutClassifierInFront_CallerLocalOnlySetting_StillBlocksEscalation()
    {
        var local = new FakeChatClient("local").Throw(new HttpRequestException("down"));
        var cloud = new FakeChatClient("cloud").Reply("cloud");
        var chat = new ChatClientBuilder(local).UseSchemaValidatingFallback(cloud).Build();

        await Assert.ThrowsAsync<LocalBackendUnavailableException>(
            () => chat.GetResponseAsync(User("Private"), new ChatOptions().WithDataPolicy(DataPolicy.LocalOnly)));

        Assert.Empty(cloud.Requests);
    }
}
