using System.ComponentModel.DataAnnotations;

namespace HybridInference.Sqlite;

/// <summary>Settings of the durable SQLite outbox (configuration section <c>HybridInference:Refinement:Outbox:Sqlite</c>).</summary>
public sealed class SqliteOutboxOptions
{
    /// <summary>
    /// Gets or sets the SQLite database file the outbox waits in; created, with its folder, when missing. Required. It may
    /// be the cost ledger's file (the tables differ). Checked when the host starts: a path that cannot hold the outbox
    /// fails validation with the key and the path named. One process drains a file at a time.
    /// </summary>
    [Required]
    public string DatabasePath { get; set; } = string.Empty;
}
