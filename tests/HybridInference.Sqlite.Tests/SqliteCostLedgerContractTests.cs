namespace HybridInference.Sqlite.Tests;

/// <summary>The shared ledger tests against a real SQLite file.</summary>
public sealed class SqliteCostLedgerContractTests : CostLedgerContractTests
{
    internal override LedgerStore NewStore() => new SqliteLedgerStore();
}
