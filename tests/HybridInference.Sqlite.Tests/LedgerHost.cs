using HybridInference.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace HybridInference.Sqlite.Tests;

/// <summary>The hybrid client over fake backends with the SQLite ledger on a real file in a temporary folder, on a fake clock.</summary>
internal sealed class LedgerHost : IAsyncDisposable
{
    private LedgerHost(ServiceProvider provider, FakeChatClient local, FakeChatClient cloud, FakeTimeProvider time, string folder)
    {
        Provider = provider;
        Local = local;
        Cloud = cloud;
        Time = time;
        Folder = folder;
        Chat = provider.GetRequiredService<IChatClient>();
        Ledger = provider.GetRequiredService<ICostLedger>();
    }

    public ServiceProvider Provider { get; }

    public IChatClient Chat { get; }

    public ICostLedger Ledger { get; }

    public FakeChatClient Local { get; }

    public FakeChatClient Cloud { get; }

    public FakeTimeProvider Time { get; }

    public string Folder { get; }

    public string DatabasePath => Path.Combine(Folder, "ledger", "costs.db");

    public static LedgerHost Create(string ledgerSettings = "", int retentionDays = 90)
    {
        var folder = Path.Combine(Path.GetTempPath(), "hi-ledger-" + Guid.NewGuid().ToString("N"));
        var json = $$"""
            {
              "HybridInference": {
                "Routing": { "LocalContextLimit": 4096, "FallbackMaxRetries": 1 },
                "Local": { "Backends": [ { "Name": "local", "Provider": "vllm", "Model": "local-model" } ] },
                "Cloud": { "Backends": [ { "Name": "cloud", "Provider": "openai", "Model": "cloud-model" } ] },
                "Pricing": { "cloud-model": { "InputPerMillionTokens": 10.0, "OutputPerMillionTokens": 30.0 } },
                "Observability": {
                  "RetentionDays": {{retentionDays}},
                  "Ledger": { {{ledgerSettings}} "DatabasePath": "{{Path.Combine(folder, "ledger", "costs.db").Replace("\\", "/", StringComparison.Ordinal)}}" }
                }
              }
            }
            """;
        var configuration = JsonSettings.Parse(json);
        var time = new FakeTimeProvider(LedgerUnderTest.Start); // The rows' times are checked against 2026-01-01 (Microsoft's fake starts at 2000-01-01).
        var local = new FakeChatClient("local-model") { TimeProvider = time };
        var cloud = new FakeChatClient("cloud-model") { TimeProvider = time };
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddHybridInference(configuration.GetSection("HybridInference"))
            .AddLocalBackend("local", _ => local)
            .AddCloudBackend("cloud", _ => cloud)
            .AddSqliteCostLedger(configuration.GetSection("HybridInference:Observability:Ledger"));
        return new LedgerHost(services.BuildServiceProvider(), local, cloud, time, folder);
    }

    /// <summary>Reads the table through a connection of its own, as another process would see it.</summary>
    public List<Dictionary<string, object?>> Rows() => LedgerUnderTest.ReadRows(DatabasePath);

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
        SqliteConnection.ClearAllPools();
        Directory.Delete(Folder, recursive: true);
    }
}
