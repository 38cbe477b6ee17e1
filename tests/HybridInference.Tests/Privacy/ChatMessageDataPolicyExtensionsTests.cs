using System.Text.Json;
using HybridInference.Tests.Chain;
using static HybridInference.Tests.Chain.Requests;

namespace HybridInference.Tests.Privacy;

/// <summary>LocalOnly follows the data: messages of a local-only request and its answer carry the mark, and a later request with any of them stays local.</summary>
public sealed class ChatMessageDataPolicyExtensionsTests
{
    private static readonly ChatOptions LocalOnly = new ChatOptions().WithDataPolicy(DataPolicy.LocalOnly);

    private static ChatOptions Complex() => new ChatOptions().WithTaskCategory(TaskCategory.Complex);

    private static HybridHost Host(string? action = null)
    {
        var host = action is null
            ? HybridHost.Create()
            : HybridHost.Create(HybridHost.DefaultJson.Replace("\"Routing\": {", $"\"Privacy\": {{ \"Action\": \"{action}\" }}, \"Routing\": {{", StringComparison.Ordinal));
        host.Local.DefaultReply = _ => "local answer";
        host.Cloud!.DefaultReply = _ => "cloud answer";
        return host;
    }

    [Fact]
    public async Task ALocalOnlyRequest_MarksItsMessagesAndItsAnswer()
    {
        using var host = Host();
        List<ChatMessage> history = [new(ChatRole.System, "You are a clerk."), new(ChatRole.User, "Summarize the patient record: ...")];

        var response = await host.Chat.GetResponseAsync(history, LocalOnly);

        Assert.All(history, m => Assert.Equal(DataPolicy.LocalOnly, m.GetDataPolicy()));
        Assert.Equal(DataPolicy.LocalOnly, Assert.Single(response.Messages).GetDataPolicy());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ALaterTurnWhoseHistoryHoldsALocalOnlyMessage_StaysLocal_WhateverTheRulesSay(bool keepOnlyTheAnswer)
    {
        using var host = Host();
        List<ChatMessage> history = [new(ChatRole.User, "Summarize the patient record: ...")];
        var first = await host.Chat.GetResponseAsync(history, LocalOnly);
        history.AddMessages(first);
        if (keepOnlyTheAnswer)
        {
            history.RemoveAt(0);
        }

        history.Add(new ChatMessage(ChatRole.User, "Now find the root cause, step by step."));
        var second = await host.Chat.GetResponseAsync(history, Complex());

        Assert.Equal(("local answer", RouteReason.LocalOnly), (second.Text, second.GetRouteOutcome()!.DecisionReason));
        Assert.Empty(host.Cloud!.Requests);
        Assert.Equal(DataPolicy.LocalOnly, history[^1].GetDataPolicy());
    }

    [Fact]
    public async Task ALaterTurnWithoutTheMarkedMessages_GoesWhereTheRulesSay()
    {
        using var host = Host();
        List<ChatMessage> history = [new(ChatRole.User, "Summarize the patient record: ...")];
        history.AddMessages(await host.Chat.GetResponseAsync(history, LocalOnly));

        var response = await host.Chat.GetResponseAsync([new ChatMessage(ChatRole.User, "Find the root cause, step by step.")], Complex());

        Assert.Equal("cloud answer", response.Text);
    }

    [Fact]
    public async Task AMessageTheCallerMarks_KeepsTheRequestLocal_AndClearingTheMarkLetsItGo()
    {
        using var host = Host();
        var record = new ChatMessage(ChatRole.User, "The record: ...").WithDataPolicy(DataPolicy.LocalOnly);

        var marked = await host.Chat.GetResponseAsync([record, new ChatMessage(ChatRole.User, "Analyse it step by step.")], Complex());
        record.WithDataPolicy(DataPolicy.Any);
        var cleared = await host.Chat.GetResponseAsync([record, new ChatMessage(ChatRole.User, "Analyse it step by step.")], Complex());

        Assert.Equal(("local answer", "cloud answer"), (marked.Text, cleared.Text));
        Assert.Null(record.GetDataPolicy());
    }

    [Fact]
    public async Task AHistorySavedAsJson_KeepsTheMark()
    {
        using var host = Host();
        List<ChatMessage> history = [new(ChatRole.User, "Summarize the patient record: ...")];
        history.AddMessages(await host.Chat.GetResponseAsync(history, LocalOnly));

        var saved = JsonSerializer.Serialize(history, AIJsonUtilities.DefaultOptions);
        var restored = JsonSerializer.Deserialize<List<ChatMessage>>(saved, AIJsonUtilities.DefaultOptions)!;
        restored.Add(new ChatMessage(ChatRole.User, "Find the root cause, step by step."));
        var response = await host.Chat.GetResponseAsync(restored, Complex());

        Assert.Equal("local answer", response.Text);
        Assert.Empty(host.Cloud!.Requests);
    }

    [Fact]
    public async Task AStreamedLocalOnlyAnswer_ThroughToChatResponse_CarriesTheMark()
    {
        using var host = Host();
        host.Local.ReplyInChunks("local ", "answer");
        List<ChatMessage> history = [new(ChatRole.User, "Summarize the patient record: ...")];

        var updates = await ToListAsync(host.Chat.GetStreamingResponseAsync(history, LocalOnly));
        history.AddMessages(updates);
        history.RemoveAt(0);
        history.Add(new ChatMessage(ChatRole.User, "Find the root cause, step by step."));
        var response = await host.Chat.GetResponseAsync(history, Complex());

        Assert.Equal(DataPolicy.LocalOnly, updates.ToChatResponse().Messages[0].GetDataPolicy());
        Assert.Equal("local answer", response.Text);
        Assert.Empty(host.Cloud!.Requests);
    }

    [Fact]
    public async Task TheAnswerOfARequestKeptLocalForItsPersonalData_KeepsTheNextTurnLocal()
    {
        using var host = Host("LocalOnly");
        var first = await host.Chat.GetResponseAsync([new ChatMessage(ChatRole.User, "Draft a reply to ada@example.com.")]);

        List<ChatMessage> next = [.. first.Messages, new ChatMessage(ChatRole.User, "Now analyse the tone step by step.")];
        var second = await host.Chat.GetResponseAsync(next, Complex());

        Assert.Equal("local answer", second.Text);
        Assert.Empty(host.Cloud!.Requests);
    }

    public static TheoryData<object> MarkForms() =>
    [
        DataPolicy.LocalOnly, "LocalOnly", "localonly", " LocalOnly ", "1", 1, 1L,
        JsonSerializer.SerializeToElement("LocalOnly"), JsonSerializer.SerializeToElement(1),
    ];

    [Theory]
    [MemberData(nameof(MarkForms))]
    public void GetDataPolicy_ReadsTheMarkInEveryFormItCanBeStoredOrRestoredIn(object value)
    {
        var message = new ChatMessage(ChatRole.User, "x") { AdditionalProperties = new() { [ChatMessageDataPolicyExtensions.DataPolicyKey] = value } };

        Assert.Equal(DataPolicy.LocalOnly, message.GetDataPolicy());
    }

    public static TheoryData<object?> BadMarks() => ["LocalOnlyPlease", "2", 7, true, JsonSerializer.SerializeToElement(new[] { 1 }), null];

    [Theory]
    [MemberData(nameof(BadMarks))]
    public async Task AMarkThatIsNotAPolicy_IsRefusedByName_AndNoBackendIsCalled(object? value)
    {
        using var host = Host();
        var message = new ChatMessage(ChatRole.User, "x") { AdditionalProperties = new() { [ChatMessageDataPolicyExtensions.DataPolicyKey] = value } };

        var error = await Assert.ThrowsAsync<ArgumentException>(() => host.Chat.GetResponseAsync([message]));

        Assert.Contains(ChatMessageDataPolicyExtensions.DataPolicyKey, error.Message, StringComparison.Ordinal);
        Assert.Empty(host.Local.Requests);
        Assert.Empty(host.Cloud!.Requests);
    }

    [Fact]
    public void WithDataPolicy_AValueThatIsNotAPolicy_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new ChatMessage(ChatRole.User, "x").WithDataPolicy((DataPolicy)5));
}
