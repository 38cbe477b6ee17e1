using HybridInference.CircuitBreaker;
using HybridInference.Errors;
using Microsoft.Extensions.DependencyInjection;
using static HybridInference.Tests.Chain.Requests;

namespace HybridInference.Tests.CircuitBreaker;

/// <summary>
/// The breaker's failure reasons come from one table keyed on the backend's error kind (<see cref="Failures.CircuitReason(BackendErrorKind)"/>):
/// every kind has its row, and what the status shows is what the backend said.
/// </summary>
public sealed class CircuitFailureReasonTests
{
    public static TheoryData<BackendErrorKind, CircuitFailureReason?> EveryKind() => new()
    {
        { BackendErrorKind.Unknown, CircuitFailureReason.Other },
        { BackendErrorKind.Unavailable, CircuitFailureReason.Refused },
        { BackendErrorKind.Timeout, CircuitFailureReason.Timeout },
        { BackendErrorKind.RateLimited, CircuitFailureReason.RateLimited },
        { BackendErrorKind.ServerError, CircuitFailureReason.ServerError },
        { BackendErrorKind.ModelLoading, CircuitFailureReason.ServerError },
        { BackendErrorKind.BadRequest, null },
        { BackendErrorKind.Unauthorized, CircuitFailureReason.Misconfigured },
        { BackendErrorKind.NotFound, CircuitFailureReason.Misconfigured },
        { BackendErrorKind.MalformedResponse, CircuitFailureReason.ServerError },
        { BackendErrorKind.Disconnected, CircuitFailureReason.Disconnected },
        { BackendErrorKind.StreamError, CircuitFailureReason.ServerError },
        { BackendErrorKind.Saturated, null },
        { BackendErrorKind.Unsupported, null },
    };

    [Fact]
    public void TheTable_ListsEveryKind()
    {
        Assert.Equal(Enum.GetValues<BackendErrorKind>().Order(), EveryKind().Select(row => (BackendErrorKind)row[0]).Order());
    }

    /// <summary>Through the breaker, plain and streamed, before and after the first update: the status counts the kind's reason, or nothing.</summary>
    [Theory]
    [MemberData(nameof(EveryKind))]
    public async Task EachKind_IsCountedUnderItsReason_PlainAndStreamed(BackendErrorKind kind, CircuitFailureReason? expected)
    {
        var time = new FakeTimeProvider();
        var local = new FakeChatClient();
        var failure = new BackendException(kind, $"failed: {kind}");
        local.Throw(failure).Throw(failure).ThrowMidStream(failure, "partial");
        var services = new ServiceCollection().AddSingleton<TimeProvider>(time).BuildServiceProvider();
        var chat = new ChatClientBuilder(local).UseCircuitBreaker(new RoutingOptions { FailuresBeforeBreak = 100, MinimumThroughput = 100 }).Build(services);

        await Assert.ThrowsAsync<BackendException>(() => chat.GetResponseAsync(User("x")));
        await Assert.ThrowsAsync<BackendException>(() => ToListAsync(chat.GetStreamingResponseAsync(User("x"))));
        await Assert.ThrowsAsync<BackendException>(() => ToListAsync(chat.GetStreamingResponseAsync(User("x"))));

        var counted = chat.GetService<LaneCircuit>()!.Failures;
        foreach (var reason in Enum.GetValues<CircuitFailureReason>())
        {
            Assert.Equal(reason == expected ? 3 : 0, counted[reason]);
        }
    }

    public static TheoryData<Exception, CircuitFailureReason> Unmapped() => new()
    {
        { new TimeoutException(), CircuitFailureReason.Timeout },
        { new OperationCanceledException(), CircuitFailureReason.Timeout },
        { new HttpRequestException(HttpRequestError.ConnectionError, "refused"), CircuitFailureReason.Refused },
        { new HttpRequestException(HttpRequestError.NameResolutionError, "no such host"), CircuitFailureReason.Refused },
        { new HttpRequestException("refused"), CircuitFailureReason.Refused },
        { new HttpRequestException(HttpRequestError.ResponseEnded, "the response ended prematurely"), CircuitFailureReason.Disconnected },
        { new IOException("connection reset by peer"), CircuitFailureReason.Disconnected },
        { new OutputValidationException("invalid", [], null, ValidationFailureReason.SchemaMismatch), CircuitFailureReason.Validation },
        { new StreamInterruptedException("cut", new BackendException(BackendErrorKind.Disconnected, "cut")), CircuitFailureReason.Disconnected },
        { new StreamInterruptedException("slow", new BackendException(BackendErrorKind.Timeout, "silent")), CircuitFailureReason.Timeout },
        { new InvalidOperationException("bug"), CircuitFailureReason.Other },
    };

    [Theory]
    [MemberData(nameof(Unmapped))]
    public void FailuresNoClientMapped_AreToldApartTheSameWay(Exception exception, CircuitFailureReason expected)
    {
        Assert.Equal(expected, Failures.CircuitReason(exception));
    }
}
