namespace HybridInference.Sqlite.Tests;

/// <summary>The SQLite-only tests reach the file behind the shared helpers.</summary>
internal static class SqliteLedgerStoreExtensions
{
    extension(LedgerUnderTest ledger)
    {
        public string DatabasePath => ((SqliteLedgerStore)ledger.Store).DatabasePath;

        public string Folder => ((SqliteLedgerStore)ledger.Store).Folder;
    }

    extension(LedgerHost host)
    {
        public string DatabasePath => ((SqliteLedgerStore)host.Store).DatabasePath;
    }
}
