using HybridInference.Refinement;
using HybridInference.Tests.Chain;
using Microsoft.Extensions.DependencyInjection;
using static HybridInference.Tests.Chain.Requests;

namespace HybridInference.Tests.Refinement;

/// <summary>
/// Deferrable work (<c>AsDeferrable</c>, <c>Refinement:DeferrableCategories</c>) on the fake clock, through the DI chain:
/// work that must go to the cloud and finds it away waits in the outbox; the caller gets at once an empty response that
/// says so, with a handle; the cloud's answer comes later through the handle and the listeners, with the same request
/// id. Work that may run locally is still answered locally; LocalOnly work never enters the outbox.
/// </summary>
public sealed class DeferralTests
{
    private static HybridHost Host(string refinement = "", Action<IServiceCollection>? services = null, string capacity = "") => HybridHost.Create(
        HybridHost.DefaultJson.Replace("\"Pricing\":", $$"""
            "Refinement": { {{refinement}} "Outbox": { {{capacity}} "RetryDelay": "00:00:01", "MaxRetryDelay": "00:00:08" } },
            "Pricing":
            """, StringComparison.Ordinal),
        services: services);

    private static RefinementCoordinator Outbox(HybridHost host) => host.Provider.GetRequiredService<RefinementCoordinator>();

    private static Exception CloudDown() => new BackendException(BackendErrorKind.Unavailable, "The backend 'cloud' could not be reached.");

    private static ChatOptions SafetyCritical() => new ChatOptions().WithTaskCategory(TaskCategory.SafetyCritical);

    [Fact]
    public async Task SafetyCriticalDeferrable_CloudAway_IsDeferred_TheCallerGetsAnEmptyResponseAtOnce_ThenTheCloudsAnswerLater()
    {
        var listener = new Listener();
        using var host = Host(services: s => s.AddSingleton<IRefinementListener>(listener));
        var cloudUp = false;
        host.Cloud!.DefaultReply = r => cloudUp ? "cloud dosage check" : throw CloudDown();
        var options = SafetyCritical().AsDeferrable();
        options.Instructions = "Answer as a pharmacist.";
        options.MaxOutputTokens = 300;
        options.Temperature = 0.1f;

        var response = await host.Chat.GetResponseAsync(User("Check the dosage for a 30 kg child."), options);

        Assert.Empty(response.Messages);
        Assert.Equal(string.Empty, response.Text);
        var outcome = response.GetRouteOutcome()!;
        Assert.Equal((RouteTarget.Cloud, RouteReason.Deferred, false), (outcome.Decision, outcome.DecisionReason, outcome.Failed));
        Assert.Equal(EscalationReason.None, outcome.EscalationReason);
        var handle = response.GetDeferral()!;
        Assert.Null(response.GetRefinement());
        Assert.False(handle.Completion.IsCompleted);
        Assert.Empty(host.Local.Requests);
        Assert.Equal(1, Outbox(host).Snapshot().Waiting);
        Assert.Equal(1, host.Metrics.Sum("hybrid_inference.outbox.queued", ("kind", "deferred")));

        // Still away: retried with backoff, never failed for it.
        Assert.Equal(0, await Outbox(host).RunOnceAsync(CancellationToken.None));
        Assert.False(handle.Completion.IsCompleted);

        cloudUp = true;
        host.Time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(1, await Outbox(host).RunOnceAsync(CancellationToken.None));

        var later = await handle.Completion;
        Assert.Equal((RefinementStatus.Delivered, true, handle.RequestId, string.Empty), (later.Status, later.Deferred, later.RequestId, later.Draft));
        Assert.Equal("cloud dosage check", later.Response!.Text);
        Assert.Equal(TaskCategory.SafetyCritical, later.Category);
        Assert.True(later.RefinementCostUsd > 0, "the later call's cost is not in the outcome");
        Assert.Same(later, listener.Outcomes.Single());

        // The later call is the request itself, with its settings: no draft, no refinement instruction.
        var sent = host.Cloud.Requests[^1];
        Assert.Equal("Check the dosage for a 30 kg child.", sent.Messages.Single().Text);
        Assert.Equal(("Answer as a pharmacist.", 300, 0.1f), (sent.Options!.Instructions, sent.Options.MaxOutputTokens, sent.Options.Temperature));
        Assert.Equal(1, host.Metrics.Sum("hybrid_inference.outbox.delivered", ("kind", "deferred")));
    }

    [Fact]
    public async Task DeferredStream_YieldsOneContentFreeUpdateWithTheHandle_ThenTheOutcome()
    {
        using var host = Host();
        host.Cloud!.Throw(CloudDown());

        var updates = await ToListAsync(host.Chat.GetStreamingResponseAsync(User("Check the dosage."), SafetyCritical().AsDeferrable()));

        Assert.Equal(string.Empty, string.Concat(updates.Select(u => u.Text)));
        Assert.NotNull(updates.Select(u => u.GetDeferral()).Single(h => h is not null));
        Assert.Equal(RouteReason.Deferred, updates[^1].GetRouteOutcome()!.DecisionReason);
        Assert.NotNull(updates.ToChatResponse().GetDeferral());
        Assert.Equal(1, Outbox(host).Snapshot().Waiting);
    }

    [Fact]
    public async Task NotDeferrable_SafetyCritical_StillFailsWithCloudUnavailableException_AndNothingIsQueued()
    {
        using var host = Host();
        host.Cloud!.Throw(CloudDown());

        await Assert.ThrowsAsync<CloudUnavailableException>(() => host.Chat.GetResponseAsync(User("Check the dosage."), SafetyCritical()));

        Assert.Equal(0, Outbox(host).Snapshot().Waiting);
    }

    [Fact]
    public async Task CategoryDefault_DefersWithoutAsking_AndAsDeferrableFalseTurnsItOff()
    {
        using var host = Host(refinement: """ "DeferrableCategories": [ "SafetyCritical" ], """);
        host.Cloud!.DefaultReply = _ => throw CloudDown();

        var byDefault = await host.Chat.GetResponseAsync(User("Check the dosage."), SafetyCritical());
        await Assert.ThrowsAsync<CloudUnavailableException>(() => host.Chat.GetResponseAsync(User("Check the dosage."), SafetyCritical().AsDeferrable(false)));

        Assert.NotNull(byDefault.GetDeferral());
        Assert.Equal(1, Outbox(host).Snapshot().Waiting);
    }

    [Fact]
    public async Task DeferrableWorkThatMayRunLocally_IsAnsweredLocally_NotDeferred()
    {
        using var host = Host();
        host.Cloud!.Throw(CloudDown());
        host.Local.Reply("local plan");

        var response = await host.Chat.GetResponseAsync(User("Plan the migration."), new ChatOptions().WithTaskCategory(TaskCategory.Complex).AsDeferrable());

        Assert.Equal("local plan", response.Text);
        Assert.Equal(RouteReason.CloudUnavailable, response.GetRouteOutcome()!.DecisionReason);
        Assert.Null(response.GetDeferral());
        Assert.Equal(0, Outbox(host).Snapshot().Waiting);
    }

    [Fact]
    public async Task DeferrableWorkSentToTheCloudForItsSize_CloudAway_IsDeferred_WhereItsFailureUsedToPassThrough()
    {
        using var host = Host();
        host.Cloud!.DefaultReply = _ => throw CloudDown();

        var response = await host.Chat.GetResponseAsync(User(LongText(4000)), new ChatOptions().AsDeferrable());
        await Assert.ThrowsAsync<BackendException>(() => host.Chat.GetResponseAsync(User(LongText(4000))));

        Assert.Equal(RouteReason.Deferred, response.GetRouteOutcome()!.DecisionReason);
        Assert.Equal(1, Outbox(host).Snapshot().Waiting);
        Assert.Empty(host.Local.Requests);
    }

    [Fact]
    public async Task DeferrableWork_CloudAnswers_IsNotDeferred()
    {
        using var host = Host();
        host.Cloud!.Reply("cloud dosage check");

        var response = await host.Chat.GetResponseAsync(User("Check the dosage."), SafetyCritical().AsDeferrable());

        Assert.Equal("cloud dosage check", response.Text);
        Assert.Null(response.GetDeferral());
        Assert.Equal(0, Outbox(host).Snapshot().Waiting);
    }

    [Fact]
    public async Task LocalOnlyDeferrableWork_IsNeverWrittenToTheOutbox_WhateverFails()
    {
        using var host = Host();
        host.Local.DefaultReply = _ => throw new BackendException(BackendErrorKind.ServerError, "The backend 'local' answered 500.", 500);
        var options = SafetyCritical().WithDataPolicy(DataPolicy.LocalOnly).AsDeferrable();

        await Assert.ThrowsAnyAsync<HybridInferenceException>(() => host.Chat.GetResponseAsync(User("Check my dosage."), options));
        await Assert.ThrowsAnyAsync<HybridInferenceException>(() => ToListAsync(host.Chat.GetStreamingResponseAsync(User("Check my dosage."), options)));

        Assert.Empty(host.Cloud!.Requests);
        Assert.Equal(0, Outbox(host).Snapshot().Waiting);
        Assert.Equal(0, host.Metrics.Sum("hybrid_inference.outbox.queued"));
    }

    [Fact]
    public async Task DeferrableWorkThatOffersTools_IsNotDeferred()
    {
        using var host = Host();
        host.Cloud!.Throw(CloudDown());
        var options = SafetyCritical().AsDeferrable();
        options.Tools = [AIFunctionFactory.Create(() => "42", "lookup")];

        await Assert.ThrowsAsync<CloudUnavailableException>(() => host.Chat.GetResponseAsync(User("Check the dosage."), options));

        Assert.Equal(0, Outbox(host).Snapshot().Waiting);
    }

    [Fact]
    public async Task OutboxFull_DeferrableWork_FailsWithCloudUnavailableException_SayingItCouldNotBeDeferred_AndEndsExpired()
    {
        var listener = new Listener();
        using var host = Host(capacity: "\"Capacity\": 1,", services: s => s.AddSingleton<IRefinementListener>(listener));
        host.Cloud!.DefaultReply = _ => throw CloudDown();
        await host.Chat.GetResponseAsync(User("first"), SafetyCritical().AsDeferrable());

        var error = await Assert.ThrowsAsync<CloudUnavailableException>(() => host.Chat.GetResponseAsync(User("second"), SafetyCritical().AsDeferrable()));

        Assert.Contains("it could not be deferred either: the outbox is full or could not be written (Refinement:Outbox)", error.Message, StringComparison.Ordinal);
        Assert.Equal((RefinementStatus.Expired, true), (listener.Outcomes.Single().Status, listener.Outcomes.Single().Deferred));
        Assert.Equal(1, host.Metrics.Sum("hybrid_inference.outbox.expired", ("kind", "deferred"), ("reason", "capacity")));
    }

    [Fact]
    public async Task DeferredAndRefinements_LeaveInTheOrderTheyWereQueued()
    {
        using var host = Host();
        var cloudUp = false;
        host.Cloud!.DefaultReply = r => cloudUp ? "cloud " + r.Messages[0].Text : throw CloudDown();
        host.Local.DefaultReply = _ => "draft";
        var deferred = (await host.Chat.GetResponseAsync(User("one"), SafetyCritical().AsDeferrable())).GetDeferral()!;
        var refinement = (await host.Chat.GetResponseAsync(User("two"), new ChatOptions().WithRefinement())).GetRefinement()!;

        cloudUp = true;
        host.Time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(2, await Outbox(host).RunOnceAsync(CancellationToken.None));

        Assert.Equal(["one", "two"], host.Cloud.Requests.Where(r => r.Messages[0].Text is "one" or "two").TakeLast(2).Select(r => r.Messages[0].Text));
        Assert.Equal(("cloud one", false), ((await deferred.Completion).Response!.Text, (await refinement.Completion).Deferred));
    }

    private sealed class Listener : IRefinementListener
    {
        public List<RefinementOutcome> Outcomes { get; } = [];

        public void OnRefinementFinished(RefinementOutcome outcome) => Outcomes.Add(outcome);
    }
}
