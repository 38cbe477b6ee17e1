using HybridInference.Classification;
using HybridInference.Internal;
using HybridInference.Tokens;
using Microsoft.Extensions.Logging.Abstractions;

namespace HybridInference.Tests.Classification;

/// <summary>
/// Which exact source counts a prompt near a limit: the local backend with the largest window, whether it has a
/// tokenizer (counted at once) or only its server's count (handed back for the classifier to await, synchronously
/// never); a server whose tokenize endpoint turned out missing is passed over, and the next largest counts.
/// </summary>
public sealed class PromptLimitsTests
{
    private static readonly ChatMessage[] Prompt = [new(ChatRole.User, "near")];

    [Fact]
    public async Task NearALimit_TheLargestWindowsServerIsHandedBack_AndAfterItsA404TheNextLargestCounts()
    {
        var tokenizer = new FixedCounter(900);
        var server = new ServerCounter(() => throw new BackendException(BackendErrorKind.NotFound, "404", 404));
        var count = new ServerTokenCount("big", server, ServerTokenCount.DefaultTimeout, TimeProvider.System, NullLogger.Instance);
        var limits = new PromptLimits(
            configuredLimit: null,
            windows: null,
            exactCounters: [(new BackendInfo("small", BackendLane.Local, "llamacpp", null, 2048), tokenizer)],
            defaultOutputTokens: 0,
            serverCounts: [(new BackendInfo("big", BackendLane.Local, "vllm", null, 4096), count)]);

        Assert.False(limits.TryCountNearLimit(3500, 0, Prompt, null, out _, out var handedBack)); // 3,500 of 4,096 (the default limit): near
        Assert.Same(count, handedBack);
        Assert.Equal(0, tokenizer.Calls);

        Assert.Null(await count.TryCountAsync(Prompt, null, CancellationToken.None)); // 404: the estimate stands, the source is off
        Assert.False(count.Enabled);

        Assert.True(limits.TryCountNearLimit(3500, 0, Prompt, null, out var exact, out handedBack));
        Assert.Equal((900, null), (exact, handedBack));
    }

    [Fact]
    public void FarFromEveryLimit_NoSourceIsAsked()
    {
        var server = new ServerCounter(() => 1);
        var limits = new PromptLimits(null, null, [], 0,
            [(new BackendInfo("big", BackendLane.Local, "vllm", null, 4096), new ServerTokenCount("big", server, ServerTokenCount.DefaultTimeout, TimeProvider.System, NullLogger.Instance))]);

        Assert.False(limits.TryCountNearLimit(100, 0, Prompt, null, out _, out var handedBack));
        Assert.Null(handedBack);
        Assert.Equal(0, server.Calls);
    }

    [Fact]
    public async Task ACallersCancellation_IsACancellation_NotAFallback()
    {
        using var cancel = new CancellationTokenSource();
        var server = new ServerCounter(() => { cancel.Cancel(); cancel.Token.ThrowIfCancellationRequested(); return 0; });
        var count = new ServerTokenCount("big", server, ServerTokenCount.DefaultTimeout, TimeProvider.System, NullLogger.Instance);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await count.TryCountAsync(Prompt, null, cancel.Token));
        Assert.True(count.Enabled);
    }

    private sealed class FixedCounter(int count) : ITokenCounter
    {
        public int Calls { get; private set; }

        public int CountPromptTokens(IEnumerable<ChatMessage> messages, ChatOptions? options)
        {
            Calls++;
            return count;
        }
    }

    private sealed class ServerCounter(Func<int> answer) : IBackendTokenCounter
    {
        public int Calls { get; private set; }

        public ValueTask<int> CountPromptTokensAsync(IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken = default)
        {
            Calls++;
            return new ValueTask<int>(answer());
        }
    }
}
