using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using HybridInference.Internal;
using Microsoft.Extensions.AI;

namespace HybridInference.Hedging;

/// <summary>The streaming half of hedging: a stream is won at its first token.</summary>
internal sealed partial class HedgingChatClient
{
    /// <summary>
    /// Streams a local request under its latency budget: past the delay without a token, the cloud stream starts too;
    /// the first to produce a token is passed on and the other is cancelled. Polly's hedging strategy waits for a whole
    /// result, so the race of first tokens is run here, on the same clock.
    /// </summary>
    private async IAsyncEnumerable<ChatResponseUpdate> HedgedStreamAsync(
        IEnumerable<ChatMessage> messages, HybridChatOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var race = new Race(this, messages, options);
        using var localCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var cloudCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var local = StartedStream.StartAsync(InnerClient.GetStreamingResponseAsync(messages, options, localCancellation.Token), localCancellation.Token, untilContent: true);
        Task<(StartedStream? Stream, ExceptionDispatchInfo? Failure)>? cloud = null;
        StartedStream? winner = null;
        var cloudWon = false;
        try
        {
            using (var delayCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                var delay = Task.Delay(_delay, _timeProvider, delayCancellation.Token);

                // A delay ended by a cancellation (the caller's, the deadline) starts nothing.
                if (await Task.WhenAny(local, delay).ConfigureAwait(false) != local && delay.IsCompletedSuccessfully && race.TryStart())
                {
                    cloud = StartedStream.StartAsync(race.StreamCloud(cloudCancellation.Token), cloudCancellation.Token, untilContent: true);
                }

                await delayCancellation.CancelAsync().ConfigureAwait(false);
            }

            ExceptionDispatchInfo? failure;
            ExceptionDispatchInfo? cloudFailure = null;
            if (cloud is null)
            {
                (winner, failure) = await local.ConfigureAwait(false);
            }
            else
            {
                var first = await Task.WhenAny(local, cloud).ConfigureAwait(false);
                (winner, failure) = await first.ConfigureAwait(false);
                cloudWon = first == cloud;
                if (winner is null)
                {
                    // The first to finish failed; the other may still answer. When both fail, see Failure.
                    var (other, otherFailure) = await (cloudWon ? local : cloud).ConfigureAwait(false);
                    if (other is not null)
                    {
                        (winner, failure, cloudWon) = (other, null, !cloudWon);
                    }
                    else
                    {
                        (failure, cloudFailure, cloudWon) = cloudWon ? (otherFailure, failure, false) : (failure, otherFailure, false);
                    }
                }

                await (cloudWon ? localCancellation : cloudCancellation).CancelAsync().ConfigureAwait(false);
            }

            if (failure is not null)
            {
                ExceptionDispatchInfo.Throw(Failure(options.State, failure.SourceException, cloudFailure?.SourceException, cancellationToken));
            }

            await foreach (var update in winner!.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return update;
            }
        }
        finally
        {
            race.State.TryClaimForLocal();
            if (cloud is not null)
            {
                // The loser was cancelled; wait for it to wind down, so its accounts are complete before the outcome is folded.
                await localCancellation.CancelAsync().ConfigureAwait(false);
                await cloudCancellation.CancelAsync().ConfigureAwait(false);
                await DisposeLoserAsync(local, winner).ConfigureAwait(false);
                await DisposeLoserAsync(cloud, winner).ConfigureAwait(false);
            }

            race.Finish(cloudWon, winner is not null);
        }
    }

    private static async Task DisposeLoserAsync(Task<(StartedStream? Stream, ExceptionDispatchInfo? Failure)> attempt, StartedStream? winner)
    {
        if ((await attempt.ConfigureAwait(false)).Stream is { } stream && stream != winner)
        {
            await stream.DisposeAsync().ConfigureAwait(false);
        }
    }
}
