using HybridInference.Cost;
using Microsoft.Data.Sqlite;

namespace HybridInference.Sqlite;

/// <summary>The summaries, computed in SQLite over the requests of a time range.</summary>
internal static class LedgerQueries
{
    public static async Task<CostLedgerSummary> SummarizeAsync(SqliteConnection connection, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var range = (From: from.ToUnixTimeMilliseconds(), To: to.ToUnixTimeMilliseconds());

        long requests = 0, failed = 0, local = 0, escalated = 0;
        double cost = 0, baseline = 0;
        using (var totals = Command(connection, range, """
            SELECT COUNT(*), TOTAL(failed), TOTAL(cost_usd), TOTAL(cloud_baseline_usd),
                   TOTAL(route = 'Local'), TOTAL(escalation_reason <> 'None')
            FROM requests WHERE started_at_ms >= $from AND started_at_ms < $to
            """))
        using (var reader = await totals.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                (requests, failed, cost, baseline, local, escalated) =
                    (reader.GetInt64(0), (long)reader.GetDouble(1), reader.GetDouble(2), reader.GetDouble(3), (long)reader.GetDouble(4), (long)reader.GetDouble(5));
            }
        }

        var byReason = new List<(string Reason, long Count)>();
        using (var reasons = Command(connection, range, """
            SELECT escalation_reason, COUNT(*) FROM requests
            WHERE started_at_ms >= $from AND started_at_ms < $to AND escalation_reason <> 'None'
            GROUP BY escalation_reason
            """))
        using (var reader = await reasons.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                byReason.Add((reader.GetString(0), reader.GetInt64(1)));
            }
        }

        var latency = new Dictionary<BackendLane, LatencyPercentiles>();
        foreach (var lane in Enum.GetValues<BackendLane>())
        {
            if (await PercentilesAsync(connection, range, lane, cancellationToken).ConfigureAwait(false) is { } percentiles)
            {
                latency[lane] = percentiles;
            }
        }

        return new LedgerTotals(requests, failed, cost, baseline, local, escalated).ToSummary(from, to, byReason, latency);
    }

    /// <summary>
    /// Nearest-rank percentiles of the answered requests of one lane: the value at rank ceil(p × n). A latency written
    /// as NULL (it was not a finite number) is left out.
    /// </summary>
    private static async Task<LatencyPercentiles?> PercentilesAsync(SqliteConnection connection, (long From, long To) range, BackendLane lane, CancellationToken cancellationToken)
    {
        const string Where = "WHERE started_at_ms >= $from AND started_at_ms < $to AND route = $route AND failed = 0 AND latency_ms IS NOT NULL";
        long count;
        using (var counting = Command(connection, range, $"SELECT COUNT(*) FROM requests {Where}"))
        {
            counting.Parameters.AddWithValue("$route", lane.ToString());
            count = (long)(await counting.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }

        if (count == 0)
        {
            return null;
        }

        using var at = Command(connection, range, $"SELECT latency_ms FROM requests {Where} ORDER BY latency_ms LIMIT 1 OFFSET $offset");
        at.Parameters.AddWithValue("$route", lane.ToString());
        var offset = at.Parameters.Add("$offset", SqliteType.Integer);

        async Task<TimeSpan> AtAsync(double percentile)
        {
            offset.Value = Math.Max(0, (long)Math.Ceiling(percentile * count) - 1);
            return TimeSpan.FromMilliseconds((double)(await at.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!);
        }

        return new LatencyPercentiles(count, await AtAsync(0.50).ConfigureAwait(false), await AtAsync(0.95).ConfigureAwait(false), await AtAsync(0.99).ConfigureAwait(false));
    }

    private static SqliteCommand Command(SqliteConnection connection, (long From, long To) range, string sql)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$from", range.From);
        command.Parameters.AddWithValue("$to", range.To);
        return command;
    }
}
