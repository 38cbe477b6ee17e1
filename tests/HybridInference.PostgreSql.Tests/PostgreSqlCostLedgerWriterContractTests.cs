namespace HybridInference.PostgreSql.Tests;

/// <summary>The shared write-path tests against a database of its own on a real PostgreSQL server.</summary>
[Collection(PostgreSqlCollection.Name)]
public sealed class PostgreSqlCostLedgerWriterContractTests(PostgreSqlServer server) : CostLedgerWriterContractTests
{
    internal override LedgerStore NewStore() => new PostgreSqlLedgerStore(server);
}
