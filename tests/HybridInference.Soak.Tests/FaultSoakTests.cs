using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text;
using System.Text.Json;
using HybridInference.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace HybridInference.Soak.Tests;

/// <summary>
/// The fault soak: 20,000 requests at concurrency 64 through the whole chain built from configuration, over real HTTP
/// to two local and two cloud servers on 127.0.0.1 that inject faults at random from a fixed seed, with a local
/// outage in the middle, then a cloud outage (degradable work answered locally, deferrable safety-critical work
/// deferred to the outbox), hedging on, and a share of requests refined in the cloud through the outbox. Every promise the library makes about failures and data is checked at the end.
/// </summary>
public sealed class FaultSoakTests(ITestOutputHelper output)
{
    private const int Requests = 20_000;
    private const int Concurrency = 64;
    private const int Warmup = 300;

    private static readonly JsonElement PersonSchema = JsonDocument.Parse(
        """{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},"required":["name","age"]}""").RootElement.Clone();

    [Fact]
    public async Task TwentyThousandRequests_AgainstFaultyServers_EndInAnswersOrTypedErrors_AndKeepEveryPromise()
    {
        var unobserved = 0;
        void OnUnobserved(object? sender, UnobservedTaskExceptionEventArgs e) => Interlocked.Increment(ref unobserved);
        TaskScheduler.UnobservedTaskException += OnUnobserved;
        using var sentinels = new Sentinels();
        var folder = Path.Combine(Path.GetTempPath(), "hi-soak-" + Guid.NewGuid().ToString("N"));
        FaultyServer[] locals = [await FaultyServer.StartAsync(1, 1.0, "local-model"), await FaultyServer.StartAsync(2, 1.0, "local-model")];
        FaultyServer[] clouds = [await FaultyServer.StartAsync(3, 0.5, "gpt-4o"), await FaultyServer.StartAsync(4, 0.5, "gpt-4o")];
        long tasksMeasured = 0;
        var hedges = new ConcurrentDictionary<string, int>();
        using var taskCost = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == "HybridInference" && instrument.Name is "hybrid_inference.task.cost" or "hybrid_inference.hedges" or "hybrid_inference.degradations"
                    || instrument.Name.StartsWith("hybrid_inference.outbox.", StringComparison.Ordinal) || instrument.Name == "hybrid_inference.refinement.not_sent")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        taskCost.SetMeasurementEventCallback<double>((_, _, _, _) => Interlocked.Increment(ref tasksMeasured));
        var counted = new ConcurrentDictionary<string, long>();
        taskCost.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (instrument.Name != "hybrid_inference.hedges")
            {
                counted.AddOrUpdate(instrument.Name["hybrid_inference.".Length..], value, (_, n) => n + value);
                foreach (var tag in tags)
                {
                    if (tag is { Key: "kind", Value: "deferred" })
                    {
                        counted.AddOrUpdate(instrument.Name["hybrid_inference.".Length..] + ".deferred", value, (_, n) => n + value);
                    }
                }

                return;
            }

            foreach (var tag in tags)
            {
                if (tag.Key == "winner")
                {
                    hedges.AddOrUpdate("won by " + tag.Value, (int)value, (_, n) => n + (int)value);
                }
            }
        });
        taskCost.Start();

        try
        {
            var services = new ServiceCollection();
            services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Trace).AddProvider(sentinels));
            var configuration = JsonSettings.Parse(Json(locals, clouds, folder));
            services.AddHybridInference(configuration.GetSection("HybridInference"))
                .AddOpenAIProviders()
                .AddSqliteCostLedger(configuration.GetSection("HybridInference:Observability:Ledger"));
            await using var provider = services.BuildServiceProvider();
            var chat = provider.GetRequiredService<IChatClient>();
            var hosted = provider.GetServices<Microsoft.Extensions.Hosting.IHostedService>().ToList(); // the outbox's worker
            foreach (var service in hosted)
            {
                await service.StartAsync(CancellationToken.None);
            }

            var ledger = provider.GetRequiredService<ICostLedger>();
            var outcomes = new ConcurrentDictionary<string, int>();
            var wrong = new ConcurrentQueue<string>();

            // Warm up (connections, JIT, pools), then take the memory baseline.
            await RunAsync(chat, 0, Warmup, outcomes, wrong, sentinels, locals, clouds);
            var before = SettledMemory();
            var clock = Stopwatch.StartNew();

            await RunAsync(chat, Warmup, Warmup + Requests, outcomes, wrong, sentinels, locals, clouds);

            var elapsed = clock.Elapsed;

            // The refinements still waiting go out (the clouds are back); each ends delivered, expired or failed.
            var drain = Stopwatch.StartNew();
            while (provider.GetRequiredService<IHybridInferenceStatus>().GetStatus().Outbox!.Waiting > 0 && drain.Elapsed < TimeSpan.FromSeconds(60))
            {
                await Task.Delay(100);
            }

            foreach (var service in hosted)
            {
                await service.StopAsync(CancellationToken.None);
            }

            await ledger.FlushAsync();
            var after = SettledMemory();
            var status = provider.GetRequiredService<IHybridInferenceStatus>().GetStatus();
            var recorded = (await ledger.SummarizeAsync(DateTimeOffset.UnixEpoch, DateTimeOffset.UtcNow.AddDays(1))).Requests;
            var total = Warmup + Requests;

            output.WriteLine($"{Requests} requests (after {Warmup} to warm up) at concurrency {Concurrency} in {elapsed.TotalSeconds:F1} s");
            output.WriteLine("faults injected, local servers: " + Describe(locals.SelectMany(s => s.Injected)));
            output.WriteLine("faults injected, cloud servers: " + Describe(clouds.SelectMany(s => s.Injected)));
            output.WriteLine("outcomes: " + Describe(outcomes));
            output.WriteLine($"local breaker: {string.Join(", ", sentinels.BreakerEvents)}; at the end {status.LocalCircuit}");
            output.WriteLine("hedges (Routing:HedgeDelay 0.25 s): " + Describe(hedges));
            var outbox = status.Outbox!;
            var refinements = counted.GetValueOrDefault("outbox.queued");
            output.WriteLine($"cloud outage (requests 12,000 to 13,499): degraded to local {counted.GetValueOrDefault("degradations")} ({100.0 * counted.GetValueOrDefault("degradations") / total:F1}% of requests); cloud breaker: {string.Join(", ", sentinels.BreakerEvents.Where(e => e.EndsWith("cloud", StringComparison.Ordinal)).GroupBy(e => e).Select(g => $"{g.Key} {g.Count()}"))}");
            output.WriteLine($"outbox items queued (refinements and deferred work) {refinements} ({100.0 * refinements / total:F1}% of requests): delivered {outbox.Delivered}, expired {outbox.Expired}, failed {outbox.Failed}, waiting {outbox.Waiting}; retries {counted.GetValueOrDefault("outbox.retries")}; not sent {counted.GetValueOrDefault("refinement.not_sent")} (local-only or answered by the cloud)");
            output.WriteLine($"deferred (safety-critical, deferrable, the cloud away) {outcomes.GetValueOrDefault("deferred")}: delivered {counted.GetValueOrDefault("outbox.delivered.deferred")}, expired {counted.GetValueOrDefault("outbox.expired.deferred")}, failed {counted.GetValueOrDefault("outbox.failed.deferred")}");
            output.WriteLine($"ledger rows {recorded}, dropped {ledger.DroppedRecords}; task.cost measurements {Interlocked.Read(ref tasksMeasured)}; requests {total} and refinement sends");
            output.WriteLine($"managed memory after a full GC: {before / 1024.0 / 1024:F1} MB before, {after / 1024.0 / 1024:F1} MB after");
            output.WriteLine($"sentinels checked in {sentinels.LogLines} log lines, {sentinels.SpanTags} span attributes, {sentinels.MetricTags} metric tags and every exception");

            Assert.True(wrong.IsEmpty, "calls that ended neither in an answer nor in a typed error:\n" + string.Join('\n', wrong.Take(10)));
            Assert.Equal(0, clouds.Sum(c => c.LocalOnlySeen));
            Assert.True(sentinels.Leaks.IsEmpty, "sentinels leaked:\n" + string.Join('\n', sentinels.Leaks));
            Assert.Contains("opened local", sentinels.BreakerEvents);
            Assert.Contains("closed local", sentinels.BreakerEvents);
            Assert.Equal(Polly.CircuitBreaker.CircuitState.Closed, status.LocalCircuit);
            Assert.Equal((Interlocked.Read(ref tasksMeasured), 0L), (recorded, ledger.DroppedRecords)); // callers' requests and refinement sends alike
            Assert.True(Interlocked.Read(ref tasksMeasured) >= total + outbox.Delivered, "a request or a delivered refinement was not measured");
            Assert.True(counted.GetValueOrDefault("degradations") > 0, "the cloud outage degraded nothing");
            Assert.True(refinements > 0, "nothing was refined");
            Assert.True(outcomes.GetValueOrDefault("deferred") > 0, "the cloud outage deferred no deferrable work");
            Assert.Equal(outcomes.GetValueOrDefault("deferred"), counted.GetValueOrDefault("outbox.queued.deferred"));
            Assert.Equal((0L, refinements), (outbox.Waiting, outbox.Delivered + outbox.Expired + outbox.Failed));
            Assert.True(after - before < 6 * 1024 * 1024, $"managed memory grew by {(after - before) / 1024.0 / 1024:F1} MB");
            Assert.True(outcomes.GetValueOrDefault("answer") > Requests * 0.8, "fewer than 80% of the requests were answered");
        }
        finally
        {
            foreach (var server in locals.Concat(clouds))
            {
                await server.DisposeAsync();
            }

            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            TaskScheduler.UnobservedTaskException -= OnUnobserved;
        }

        Assert.Equal(0, Volatile.Read(ref unobserved));
    }

    /// <summary>
    /// Sends requests <paramref name="from"/> to <paramref name="to"/>: plain, streamed, JSON, complex (cloud), refined
    /// and local-only, chosen from a fixed seed; the local servers go down for a stretch in the middle, then the clouds.
    /// </summary>
    private static Task RunAsync(
        IChatClient chat, int from, int to, ConcurrentDictionary<string, int> outcomes, ConcurrentQueue<string> wrong, Sentinels sentinels, FaultyServer[] locals, FaultyServer[] clouds) =>
        Parallel.ForAsync(from, to, new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, async (i, cancellationToken) =>
        {
            if (i is 8_000 or 10_000)
            {
                foreach (var local in locals)
                {
                    local.Outage = i == 8_000;
                }
            }

            if (i is 12_000 or 13_500)
            {
                foreach (var cloud in clouds)
                {
                    cloud.Outage = i == 12_000;
                }
            }

            var kind = new Random(i).Next(100);
            var localOnly = kind >= 90;
            var prompt = (localOnly ? FaultyServer.LocalOnlyMarker + " " : string.Empty) + $"Summarize note {i}: {Sentinels.PromptText} the meeting moved.";
            var options = kind switch
            {
                < 15 => new ChatOptions { ResponseFormat = ChatResponseFormat.ForJsonSchema(PersonSchema, "person") },
                < 30 => new ChatOptions().WithTaskCategory(TaskCategory.Complex),
                < 36 => new ChatOptions().WithRefinement(),
                < 39 => new ChatOptions().WithTaskCategory(TaskCategory.SafetyCritical).AsDeferrable(), // waits in the outbox while the cloud is away
                >= 95 => new ChatOptions().WithDataPolicy(DataPolicy.LocalOnly).WithRefinement().AsDeferrable(), // never refined nor deferred: its data stays here
                >= 90 => new ChatOptions().WithDataPolicy(DataPolicy.LocalOnly),
                _ => new ChatOptions(),
            };
            var stream = kind % 4 == 1;
            try
            {
                string text;
                RouteOutcome? outcome = null;
                if (stream)
                {
                    var answer = new StringBuilder();
                    await foreach (var update in chat.GetStreamingResponseAsync(prompt, options, cancellationToken))
                    {
                        answer.Append(update.Text);
                        outcome = update.GetRouteOutcome() ?? outcome;
                    }

                    text = answer.ToString();
                }
                else
                {
                    var response = await chat.GetResponseAsync(prompt, options, cancellationToken);
                    (text, outcome) = (response.Text, response.GetRouteOutcome());
                }

                if (outcome?.DecisionReason == RouteReason.Deferred)
                {
                    // No answer yet, and none made up: the cloud's comes through the outbox.
                    outcomes.AddOrUpdate("deferred", 1, (_, n) => n + 1);
                    if (text.Length > 0 || localOnly)
                    {
                        wrong.Enqueue($"request {i}: deferred with text '{text}' (local-only: {localOnly})");
                    }

                    return;
                }

                var valid = options.ResponseFormat is null ? text.Length > 0 : IsPerson(text);
                outcomes.AddOrUpdate(valid ? "answer" : "invalid answer", 1, (_, n) => n + 1);
                if (!valid)
                {
                    wrong.Enqueue($"request {i}: an answer that is not valid: {text}");
                }
            }
            catch (Exception ex) when (ex is HybridInferenceException or BackendException)
            {
                sentinels.CheckException(ex);
                var name = ex is BackendException backend ? $"BackendException({backend.Kind})" : ex.GetType().Name;
                outcomes.AddOrUpdate(name, 1, (_, n) => n + 1);
                if (ex.GetRouteOutcome() is null)
                {
                    wrong.Enqueue($"request {i}: {name} without its outcome");
                }
            }
            catch (Exception ex)
            {
                sentinels.CheckException(ex);
                outcomes.AddOrUpdate("untyped " + ex.GetType().Name, 1, (_, n) => n + 1);
                wrong.Enqueue($"request {i}: {ex.GetType().Name}: {ex.Message}");
            }
        });

    private static bool IsPerson(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String
                && document.RootElement.TryGetProperty("age", out var age) && age.ValueKind == JsonValueKind.Number;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static long SettledMemory()
    {
        for (var i = 0; i < 3; i++)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }

        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private static string Describe(IEnumerable<KeyValuePair<string, int>> counts) =>
        string.Join(", ", counts.GroupBy(c => c.Key).Select(g => (g.Key, Count: g.Sum(c => c.Value))).OrderByDescending(c => c.Count).Select(c => $"{c.Key} {c.Count}"));

    private static string Json(FaultyServer[] locals, FaultyServer[] clouds, string folder) => $$"""
        {
          "HybridInference": {
            "Routing": { "LocalContextLimit": 4096, "FallbackMaxRetries": 1, "EscalationThreshold": 0.5, "SamplingWindow": "00:00:02",
                         "MinimumThroughput": 20, "BreakDuration": "00:00:00.5", "RecoveryRamp": "00:00:00", "HedgeDelay": "00:00:00.25" },
            "Local": {
              "FailuresBeforeEjection": 5, "EjectionDuration": "00:00:00.5",
              "Backends": [
                { "Name": "local-a", "Provider": "vllm", "Endpoint": "{{locals[0].Server.V1}}", "Model": "local-model", "Timeout": "00:00:00.4" },
                { "Name": "local-b", "Provider": "vllm", "Endpoint": "{{locals[1].Server.V1}}", "Model": "local-model", "Timeout": "00:00:00.4" }
              ]
            },
            "Cloud": {
              "RequestsPerMinute": 10000000,
              "FailuresBeforeEjection": 5, "EjectionDuration": "00:00:00.5",
              "Backends": [
                { "Name": "cloud-a", "Provider": "openai", "Endpoint": "{{clouds[0].Server.V1}}", "Model": "gpt-4o", "ApiKey": "{{Sentinels.ApiKey}}", "AllowInsecureHttp": true, "Timeout": "00:00:00.4" },
                { "Name": "cloud-b", "Provider": "openai", "Endpoint": "{{clouds[1].Server.V1}}", "Model": "gpt-4o", "ApiKey": "{{Sentinels.ApiKey}}", "AllowInsecureHttp": true, "Timeout": "00:00:00.4" }
              ]
            },
            "Pricing": { "gpt-4o": { "InputPerMillionTokens": 2.5, "OutputPerMillionTokens": 10.0 } },
            "Observability": { "Ledger": { "DatabasePath": "{{Path.Combine(folder, "soak.db").Replace("\\", "/", StringComparison.Ordinal)}}", "QueueCapacity": 100000, "FlushInterval": "00:00:00.2" } }
          }
        }
        """;
}
