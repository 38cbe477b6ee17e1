using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace HybridInference.OpenAI.Tests;

/// <summary>
/// Privacy:Action Redact over real HTTP: whatever part of the request holds personal data, the body the cloud server
/// receives does not; the local server gets the original.
/// </summary>
public sealed class PrivacyOverHttpTests : IAsyncLifetime
{
    private LoopbackServer _local = null!;
    private LoopbackServer _cloud = null!;
    private ServiceProvider _services = null!;
    private IChatClient _chat = null!;

    public async Task InitializeAsync()
    {
        _local = await LoopbackServer.StartAsync();
        _local.ProbesApart = true; // the chain probes it from the moment it is built
        _cloud = await LoopbackServer.StartAsync();
        _cloud.ProbesApart = true;
        var json = $$"""
            {
              "HybridInference": {
                "Privacy": { "Action": "Redact" },
                "Local": { "Backends": [ { "Name": "vllm", "Provider": "vllm", "Endpoint": "{{_local.V1}}", "Model": "Qwen/Qwen2.5-7B-Instruct", "ContextWindow": 8192 } ] },
                "Cloud": { "Backends": [ { "Name": "openai", "Provider": "openai", "Endpoint": "{{_cloud.V1}}", "Model": "gpt-4o", "ApiKey": "sk-test", "AllowInsecureHttp": true } ] },
                "Pricing": { "gpt-4o": { "InputPerMillionTokens": 2.5, "OutputPerMillionTokens": 10 } }
              }
            }
            """;
        var configuration = JsonSettings.Parse(json);
        var services = new ServiceCollection();
        services.AddHybridInference(configuration.GetSection("HybridInference")).AddOpenAIProviders();
        _services = services.BuildServiceProvider();
        _chat = _services.GetRequiredService<IChatClient>();
        _cloud.Default = Respond.File(Fixture.Path("openai", "chat-completion.json"));
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _local.DisposeAsync();
        await _cloud.DisposeAsync();
    }

    public static TheoryData<string> Places() =>
    [
        "instructions", "author", "split-text", "tool-call", "tool-result-object", "tool-result-json", "tool-definition", "response-schema", "image-url",
    ];

    [Theory]
    [MemberData(nameof(Places))]
    public async Task Redact_TheCloudServersRequestBody_HoldsNoPersonalData(string place)
    {
        const string Secret = "ada.lovelace@example.com";
        var options = new ChatOptions().WithTaskCategory(TaskCategory.Complex);
        List<ChatMessage> messages = [new(ChatRole.User, "Plan the refund.")];
        var schema = JsonDocument.Parse("""{"type":"object","properties":{"id":{"type":"string"}}}""").RootElement.Clone();
        switch (place)
        {
            case "instructions":
                options.Instructions = $"The customer is {Secret}.";
                break;
            case "author":
                messages[0].AuthorName = Secret;
                break;
            case "split-text":
                messages[0] = new ChatMessage(ChatRole.User, [new TextContent("Mail ada.lovelace@exa"), new TextContent("mple.com the plan.")]);
                break;
            case "tool-call":
                messages.Add(new ChatMessage(ChatRole.Assistant, [new FunctionCallContent("c1", "mail", new Dictionary<string, object?> { ["to"] = new[] { Secret } })]));
                messages.Add(new ChatMessage(ChatRole.Tool, [new FunctionResultContent("c1", "sent")]));
                break;
            case "tool-result-object":
                messages.Add(new ChatMessage(ChatRole.Assistant, [new FunctionCallContent("c1", "crm_lookup", new Dictionary<string, object?> { ["id"] = 42 })]));
                messages.Add(new ChatMessage(ChatRole.Tool, [new FunctionResultContent("c1", new { name = "Ada", email = Secret })]));
                break;
            case "tool-result-json":
                messages.Add(new ChatMessage(ChatRole.Assistant, [new FunctionCallContent("c1", "crm_lookup", new Dictionary<string, object?> { ["id"] = 42 })]));
                messages.Add(new ChatMessage(ChatRole.Tool, [new FunctionResultContent("c1", JsonDocument.Parse($"{{\"contacts\":[\"{Secret}\"]}}").RootElement.Clone())]));
                break;
            case "tool-definition":
                options.Tools = [AIFunctionFactory.CreateDeclaration("mail", $"Mails {Secret}.", JsonDocument.Parse(
                    $"{{\"type\":\"object\",\"properties\":{{\"to\":{{\"type\":\"string\",\"default\":\"{Secret}\"}}}}}}").RootElement.Clone())];
                break;
            case "response-schema":
                options.ResponseFormat = ChatResponseFormat.ForJsonSchema(schema, "record", $"The record of {Secret}.");
                break;
            case "image-url":
                messages[0].Contents.Add(new UriContent(new Uri($"https://crm.example/avatar?email={Uri.EscapeDataString(Secret)}"), "image/png"));
                break;
        }

        try
        {
            await _chat.GetResponseAsync(messages, options);
        }
        catch (OutputValidationException)
        {
            // The fixture's answer does not fit every schema; what the cloud received is what counts here.
        }

        var body = Assert.Single(_cloud.Requests).Body;
        var decoded = Uri.UnescapeDataString(JsonSerializer.Deserialize<JsonElement>(body).ToString());
        Assert.DoesNotContain("lovelace", body, StringComparison.Ordinal);
        Assert.DoesNotContain("lovelace", decoded, StringComparison.Ordinal);
        // Microsoft.Extensions.AI.OpenAI keeps only the characters OpenAI allows in an author name: "[EMAIL]" goes out as "EMAIL".
        Assert.Contains(place == "author" ? "\"name\":\"EMAIL\"" : "[EMAIL]", decoded, StringComparison.Ordinal);
    }
}
