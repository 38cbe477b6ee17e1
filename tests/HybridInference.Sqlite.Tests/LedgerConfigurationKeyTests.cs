using HybridInference.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace HybridInference.Sqlite.Tests;

/// <summary>
/// The ledger's keys under <c>HybridInference:Observability:Ledger</c> are known to the hybrid client's check for keys
/// nothing reads when <c>AddSqliteCostLedger(section)</c> binds them; a typo inside is still reported, and without the
/// ledger the section is a key nothing reads.
/// </summary>
public sealed class LedgerConfigurationKeyTests
{
    [Fact]
    public async Task LedgerKeys_BoundByTheLedger_AreKnown()
    {
        await using var host = LedgerHost.Create(new SqliteLedgerStore(), "\"QueueCapacity\": 50, \"FlushInterval\": \"00:00:02\",");

        host.Provider.GetRequiredService<IStartupValidator>().Validate();
        Assert.Equal(50, host.Provider.GetRequiredService<IOptions<CostLedgerOptions>>().Value.QueueCapacity);
    }

    [Fact]
    public void TypoInTheLedgerSection_StopsStartUp_NamingTheKeyAndTheNearestOne()
    {
        var error = Assert.Throws<OptionsValidationException>(() => LedgerHost.Create(new SqliteLedgerStore(), "\"QueueCapacty\": 50,"));

        Assert.Contains(
            "HybridInference:Observability:Ledger:QueueCapacty is not a configuration key of HybridInference: nothing reads it. Did you mean HybridInference:Observability:Ledger:QueueCapacity?",
            error.Failures);
    }

    [Fact]
    public void LedgerSection_WithoutTheLedger_IsAKeyNothingReads()
    {
        const string Json = """
            {
              "HybridInference": {
                "Local": { "Backends": [ { "Name": "local", "Provider": "vllm", "Model": "local-model" } ] },
                "Observability": { "Ledger": { "DatabasePath": "costs.db" } }
              }
            }
            """;
        var configuration = JsonSettings.Parse(Json);
        var services = new ServiceCollection();
        services.AddHybridInference(configuration.GetSection("HybridInference")).AddLocalBackend("local", _ => new FakeChatClient("local-model"));
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains(error.Failures, f => f.StartsWith("HybridInference:Observability:Ledger is not a configuration key of HybridInference: nothing reads it", StringComparison.Ordinal));
    }
}
