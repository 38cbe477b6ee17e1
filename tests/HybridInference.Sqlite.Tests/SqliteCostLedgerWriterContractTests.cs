namespace HybridInference.Sqlite.Tests;

/// <summary>The shared write-path tests against a real SQLite file.</summary>
public sealed class SqliteCostLedgerWriterContractTests : CostLedgerWriterContractTests
{
    internal override LedgerStore NewStore() => new SqliteLedgerStore();
}
