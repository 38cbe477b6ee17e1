using HybridInference.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace HybridInference.LedgerTests;

/// <summary>The hybrid client over fake backends with a ledger on a fresh store, configured from JSON, on a fake clock.</summary>
internal sealed class LedgerHost : IAsyncDisposable
{
    private LedgerHost(LedgerStore store, ServiceProvider provider, FakeChatClient local, FakeChatClient cloud, FakeTimeProvider time)
    {
        Store = store;
        Provider = provider;
        Local = local;
        Cloud = cloud;
        Time = time;
        Chat = provider.GetRequiredService<IChatClient>();
        Ledger = provider.GetRequiredService<ICostLedger>();
    }

    public LedgerStore Store { get; }

    public ServiceProvider Provider { get; }

    public IChatClient Chat { get; }

    public ICostLedger Ledger { get; }

    public FakeChatClient Local { get; }

    public FakeChatClient Cloud { get; }

    public FakeTimeProvider Time { get; }

    /// <param name="store">The store; disposed with the host.</param>
    /// <param name="ledgerSettings">More JSON members of the <c>Ledger</c> section, each followed by a comma.</param>
    /// <param name="retentionDays">Observability:RetentionDays.</param>
    /// <param name="start">The fake clock's start (default <see cref="LedgerUnderTest.Start"/>).</param>
    public static LedgerHost Create(LedgerStore store, string ledgerSettings = "", int retentionDays = 90, DateTimeOffset? start = null)
    {
        var json = $$"""
            {
              "HybridInference": {
                "Routing": { "LocalContextLimit": 4096, "FallbackMaxRetries": 1 },
                "Local": { "Backends": [ { "Name": "local", "Provider": "vllm", "Model": "local-model" } ] },
                "Cloud": { "Backends": [ { "Name": "cloud", "Provider": "openai", "Model": "cloud-model" } ] },
                "Pricing": { "cloud-model": { "InputPerMillionTokens": 10.0, "OutputPerMillionTokens": 30.0 } },
                "Observability": {
                  "RetentionDays": {{retentionDays}},
                  "Ledger": { {{ledgerSettings}} {{store.Settings}} }
                }
              }
            }
            """;
        var configuration = JsonSettings.Parse(json);
        var time = new FakeTimeProvider(start ?? LedgerUnderTest.Start); // The rows' times are checked against 2026-01-01 (Microsoft's fake starts at 2000-01-01).
        var local = new FakeChatClient("local-model") { TimeProvider = time };
        var cloud = new FakeChatClient("cloud-model") { TimeProvider = time };
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        store.Add(
            services.AddHybridInference(configuration.GetSection("HybridInference"))
                .AddLocalBackend("local", _ => local)
                .AddCloudBackend("cloud", _ => cloud),
            configuration.GetSection("HybridInference:Observability:Ledger"));
        return new LedgerHost(store, services.BuildServiceProvider(), local, cloud, time);
    }

    /// <summary>Reads the table through a connection of its own, as another process would see it.</summary>
    public List<Dictionary<string, object?>> Rows() => Store.Rows();

    /// <summary>
    /// Moves the fake clock on one flush interval at a time until the background loop has written
    /// <paramref name="count"/> rows (the loop may not have armed its timer yet when the clock first moves).
    /// </summary>
    public async Task<List<Dictionary<string, object?>>> WaitForRowsAsync(int count, TimeSpan interval)
    {
        for (var i = 0; i < 250; i++)
        {
            var rows = Rows();
            if (rows.Count >= count)
            {
                return rows;
            }

            Time.Advance(interval);
            await Task.Delay(20);
        }

        return Rows();
    }

    public async ValueTask DisposeAsync()
    {
        await Provider.DisposeAsync();
        await Store.DisposeAsync();
    }
}
