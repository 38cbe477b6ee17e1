using HybridInference.History;

namespace HybridInference.Tests.History;

/// <summary>The summary cache is bounded (the least recently used summary goes) and keyed by the turns a summary covers.</summary>
public sealed class SummaryCacheTests
{
    [Fact]
    public void Add_PastCapacity_DropsTheLeastRecentlyUsed()
    {
        var cache = new SummaryCache(capacity: 2);
        cache.Add(1, "one");
        cache.Add(2, "two");
        Assert.True(cache.TryGet(1, out _)); // 1 is now the most recently used

        cache.Add(3, "three");

        Assert.Equal(2, cache.Count);
        Assert.False(cache.TryGet(2, out _));
        Assert.True(cache.TryGet(1, out var one) && one == "one");
        Assert.True(cache.TryGet(3, out var three) && three == "three");
    }

    [Fact]
    public void PrefixHash_IsTheSameForTheSameEarlierTurns_AndChangesWithAnyOfThem()
    {
        var chat = Chat("a", "b", "c");
        var longer = Chat("a", "b", "c", "d");
        var edited = Chat("a", "B", "c");

        Assert.Equal(chat.PrefixHash(3), longer.PrefixHash(3));
        Assert.NotEqual(longer.PrefixHash(3), longer.PrefixHash(4));
        Assert.Equal(chat.PrefixHash(1), edited.PrefixHash(1));
        Assert.NotEqual(chat.PrefixHash(2), edited.PrefixHash(2));
        Assert.NotEqual(chat.PrefixHash(3), edited.PrefixHash(3));
    }

    [Fact]
    public void Turns_StartAtEachUserMessage_AndSystemMessagesAreKept()
    {
        var turns = ConversationTurns.Of(
        [
            new(ChatRole.System, "rules"),
            new(ChatRole.Assistant, "hello"),
            new(ChatRole.User, "q1"),
            new(ChatRole.Assistant, [new FunctionCallContent("c1", "f")]),
            new(ChatRole.Tool, [new FunctionResultContent("c1", "r")]),
            new(ChatRole.System, "more rules"),
            new(ChatRole.User, "q2"),
        ]);

        Assert.Equal(3, turns.Count);
        var kept = turns.Keep(2, summary: null);
        Assert.Equal(["rules", "more rules", "q2"], kept.Select(m => m.Text));
        Assert.Equal(["rules", "more rules", "q1", "", "", "q2"], turns.Keep(1, summary: null).Select(m => m.Text));
    }

    private static ConversationTurns Chat(params string[] users) =>
        ConversationTurns.Of(users.SelectMany(u => new[] { new ChatMessage(ChatRole.User, u), new ChatMessage(ChatRole.Assistant, "re " + u) }));
}
