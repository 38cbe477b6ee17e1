using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace HybridInference.Refinement;

/// <summary>
/// The background worker of the outbox (a hosted service, registered by <c>AddHybridInference</c>): builds the hybrid
/// client when the host starts, then runs a pass of <see cref="RefinementCoordinator.RunOnceAsync"/> every
/// <c>Refinement:Outbox:PollInterval</c> on the <see cref="TimeProvider"/>.
/// </summary>
internal sealed class OutboxWorker(IServiceProvider services, RefinementCoordinator coordinator, RefinementOptions options, TimeProvider time, ILogger<OutboxWorker> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Builds the chain, which gives the coordinator its cloud sender.
        _ = services.GetRequiredKeyedService<IChatClient>(HybridInferenceServiceCollectionExtensions.ChatClientKey);
        if (!coordinator.CanSend)
        {
            return; // No cloud lane: nothing is ever refined, so nothing waits.
        }

        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await Task.Delay(options.Outbox.PollInterval, time, stoppingToken).ConfigureAwait(false);
                try
                {
                    await coordinator.RunOnceAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    RefinementLog.StoreFailed(logger, ex.GetType().Name);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: what waits stays in the outbox for the next start.
        }
    }
}
