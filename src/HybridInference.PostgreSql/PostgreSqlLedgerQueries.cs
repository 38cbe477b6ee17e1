using HybridInference.Cost;
using Npgsql;

namespace HybridInference.PostgreSql;

/// <summary>The summaries, computed in PostgreSQL over the requests of a time range (every replica's).</summary>
internal static class PostgreSqlLedgerQueries
{
    private const string InRange = "started_at_ms >= $1 AND started_at_ms < $2";

    public static async Task<CostLedgerSummary> SummarizeAsync(NpgsqlConnection connection, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        // One round trip: totals, escalations by reason, and nearest-rank latency percentiles per lane.
        using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                Command($"""
                    SELECT COUNT(*), COUNT(*) FILTER (WHERE failed), COALESCE(SUM(cost_usd), 0), COALESCE(SUM(cloud_baseline_usd), 0),
                           COUNT(*) FILTER (WHERE route = 'Local'), COUNT(*) FILTER (WHERE escalation_reason <> 'None')
                    FROM cost_ledger_requests WHERE {InRange}
                    """, from, to),
                Command($"""
                    SELECT escalation_reason, COUNT(*) FROM cost_ledger_requests
                    WHERE {InRange} AND escalation_reason <> 'None' GROUP BY escalation_reason
                    """, from, to),

                // percentile_disc(p) is the first value whose cumulative share reaches p: the value at rank ceil(p × n).
                // A latency written as NULL (it was not a finite number) is left out.
                Command($"""
                    SELECT route, COUNT(*), percentile_disc(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY latency_ms)
                    FROM cost_ledger_requests WHERE {InRange} AND NOT failed AND latency_ms IS NOT NULL GROUP BY route
                    """, from, to),
            },
        };

        using var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var totals = new LedgerTotals(reader.GetInt64(0), reader.GetInt64(1), reader.GetDouble(2), reader.GetDouble(3), reader.GetInt64(4), reader.GetInt64(5));

        await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        var byReason = new List<(string Reason, long Count)>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            byReason.Add((reader.GetString(0), reader.GetInt64(1)));
        }

        await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        var latency = new Dictionary<BackendLane, LatencyPercentiles>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            // Only the lanes this version names: a route written by a newer one (or a number) is left out.
            var name = reader.GetString(0);
            if (Enum.TryParse<BackendLane>(name, out var lane) && string.Equals(lane.ToString(), name, StringComparison.Ordinal))
            {
                var at = reader.GetFieldValue<double[]>(2);
                latency[lane] = new LatencyPercentiles(
                    reader.GetInt64(1), TimeSpan.FromMilliseconds(at[0]), TimeSpan.FromMilliseconds(at[1]), TimeSpan.FromMilliseconds(at[2]));
            }
        }

        return totals.ToSummary(from, to, byReason, latency);
    }

    private static NpgsqlBatchCommand Command(string sql, DateTimeOffset from, DateTimeOffset to) => new(sql)
    {
        Parameters = { new() { Value = from.ToUnixTimeMilliseconds() }, new() { Value = to.ToUnixTimeMilliseconds() } },
    };
}
