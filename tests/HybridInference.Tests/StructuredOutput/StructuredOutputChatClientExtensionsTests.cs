using System.Text.Json;
using HybridInference.Tests.Chain;
using static HybridInference.Tests.Chain.Requests;

namespace HybridInference.Tests.StructuredOutput;

public sealed class StructuredOutputChatClientExtensionsTests
{
    public enum Priority
    {
        Low,
        High,
    }

    public sealed record Ticket(string Title, Priority Priority, string[] Tags, Customer Customer);

    public sealed record Customer(string Name, int? Age);

    private const string ValidTicket = """{"title":"Printer on fire","priority":"High","tags":["hardware"],"customer":{"name":"Ada","age":36}}""";

    [Fact]
    public async Task LocalAnswerValid_ReturnsTheTypedValue_AndTheSchemaReachedTheBackend()
    {
        using var host = HybridHost.Create();
        host.Local.Reply(ValidTicket);

        var response = await host.Chat.GetResponseAsync<Ticket>(User("File a ticket."));

        Assert.Equal(new Customer("Ada", 36), response.Result.Customer);
        Assert.Equal(Priority.High, response.Result.Priority);
        Assert.Equal(["hardware"], response.Result.Tags);
        Assert.Equal(BackendLane.Local, response.Response.GetRouteOutcome()!.Target);
        var format = Assert.IsType<ChatResponseFormatJson>(host.Local.Requests[0].Options!.ResponseFormat);
        Assert.Equal("Ticket", format.SchemaName);
        var schema = format.Schema!.Value;
        Assert.Equal(JsonValueKind.Object, schema.GetProperty("properties").GetProperty("customer").ValueKind);
        Assert.Contains("title", schema.GetProperty("required").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task LocalAnswerInvalidTwice_EscalatesToTheCloud_AndReadsTheCloudAnswer()
    {
        using var host = HybridHost.Create();
        host.Local.Reply("""{"title":"x","priority":"Urgent","tags":[],"customer":{"name":"Ada"}}""")
            .Reply("""{"title":"x"}""");
        host.Cloud!.Reply(ValidTicket);

        var response = await host.Chat.GetResponseAsync<Ticket>(User("File a ticket."));

        Assert.Equal("Printer on fire", response.Result.Title);
        Assert.Equal(2, host.Local.Requests.Count);
        Assert.Single(host.Cloud.Requests);
        var outcome = response.Response.GetRouteOutcome()!;
        Assert.Equal(BackendLane.Cloud, outcome.Target);
        Assert.Equal(EscalationReason.ValidationFailed, outcome.EscalationReason);
        Assert.Equal(2, outcome.ValidationFailures);
    }

    [Fact]
    public async Task NonObjectType_IsWrappedInData_AndUnwrapped()
    {
        using var host = HybridHost.Create();
        host.Local.Reply("""{"data":[3,1,2]}""");

        var response = await host.Chat.GetResponseAsync<int[]>(User("Three numbers."));

        Assert.Equal([3, 1, 2], response.Result);
        var format = Assert.IsType<ChatResponseFormatJson>(host.Local.Requests[0].Options!.ResponseFormat);
        Assert.Equal("Int32__", format.SchemaName);
        Assert.Equal("array", format.Schema!.Value.GetProperty("properties").GetProperty("data").GetProperty("type").GetString());
    }

    [Fact]
    public async Task CallersOptions_AreNotChanged()
    {
        using var host = HybridHost.Create();
        host.Local.Reply(ValidTicket);
        var options = new ChatOptions { Temperature = 0.1f };

        await host.Chat.GetResponseAsync<Ticket>(User("File a ticket."), options);

        Assert.Null(options.ResponseFormat);
        Assert.Equal(0.1f, host.Local.Requests[0].Options!.Temperature);
    }

    [Fact]
    public async Task AnyChatClient_InvalidAnswer_TypedErrorWithTheErrors()
    {
        using var plain = new FakeChatClient("plain").Reply("""{"title":"x","priority":"High","tags":[],"customer":{}}""");

        var error = await Assert.ThrowsAsync<OutputValidationException>(() => plain.GetResponseAsync<Ticket>(User("File a ticket.")));

        Assert.Equal(ValidationFailureReason.SchemaMismatch, error.Reason);
        Assert.Contains(error.Errors, e => e is { InstanceLocation: "/customer", Keyword: "required" });
    }

    [Fact]
    public async Task AnyChatClient_JsonInProse_IsExtractedAndRead()
    {
        using var plain = new FakeChatClient("plain").Reply($"Here it is: {ValidTicket}");

        var response = await plain.GetResponseAsync<Ticket>(User("File a ticket."));

        Assert.Equal("Printer on fire", response.Result.Title);
    }
}
