namespace HybridInference.PostgreSql.Tests;

/// <summary>The shared ledger tests against a database of its own on a real PostgreSQL server.</summary>
[Collection(PostgreSqlCollection.Name)]
public sealed class PostgreSqlCostLedgerContractTests(PostgreSqlServer server) : CostLedgerContractTests
{
    internal override LedgerStore NewStore() => new PostgreSqlLedgerStore(server);
}
