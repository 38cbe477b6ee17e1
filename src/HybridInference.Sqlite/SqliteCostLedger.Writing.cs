using HybridInference.Cost;
using Microsoft.Data.Sqlite;

namespace HybridInference.Sqlite;

/// <summary>The insert of one batch: each record on its own, so one that fails costs only itself.</summary>
internal sealed partial class SqliteCostLedger
{
    private const string InsertSql = """
        INSERT INTO requests (started_at_ms, category, route, decision, decision_reason, backend, model, input_tokens,
            output_tokens, cost_usd, cloud_baseline_usd, latency_ms, attempts, validation, validation_failures,
            escalation_reason, failed, output_committed)
        VALUES ($started, $category, $route, $decision, $reason, $backend, $model, $input, $output, $cost, $baseline,
            $latency, $attempts, $validation, $validationFailures, $escalation, $failed, $committed)
        """;

    private static readonly (string Name, SqliteType Type)[] Columns =
    [
        ("$started", SqliteType.Integer), ("$category", SqliteType.Text), ("$route", SqliteType.Text),
        ("$decision", SqliteType.Text), ("$reason", SqliteType.Text), ("$backend", SqliteType.Text),
        ("$model", SqliteType.Text), ("$input", SqliteType.Integer), ("$output", SqliteType.Integer),
        ("$cost", SqliteType.Real), ("$baseline", SqliteType.Real), ("$latency", SqliteType.Real),
        ("$attempts", SqliteType.Integer), ("$validation", SqliteType.Text), ("$validationFailures", SqliteType.Integer),
        ("$escalation", SqliteType.Text), ("$failed", SqliteType.Integer), ("$committed", SqliteType.Integer),
    ];

    /// <summary>
    /// Inserts <paramref name="outcomes"/> in one transaction. A record whose insert throws anything but a database-wide
    /// SQLite error is left out and returned, to be counted and logged once the caller knows the batch is committed.
    /// </summary>
    /// <returns>The records left out with their errors (null when none), and how many numbers were written as NULL.</returns>
    /// <exception cref="Exception">The write as a whole failed (nothing was committed); the records are all unwritten.</exception>
    private LedgerWriteResult Insert(List<RouteOutcome> outcomes)
    {
        List<(RouteOutcome Outcome, Exception Error)>? failures = null;
        var nonFinite = 0;
        using (var connection = OpenCurrent())
        using (var transaction = connection.BeginTransaction(deferred: false))
        using (var insert = connection.CreateCommand())
        {
            insert.Transaction = transaction;
            insert.CommandText = InsertSql;
            var parameters = new SqliteParameter[Columns.Length];
            for (var i = 0; i < Columns.Length; i++)
            {
                parameters[i] = insert.Parameters.Add(Columns[i].Name, Columns[i].Type);
            }

            insert.Prepare();
            foreach (var outcome in outcomes)
            {
                try
                {
                    _seams?.RecordWriting?.Invoke(outcome);
                    nonFinite += Bind(parameters, outcome);
                    insert.ExecuteNonQuery();
                }
                catch (Exception ex) when (!LedgerDatabase.IsDatabaseError(ex))
                {
                    (failures ??= []).Add((outcome, ex));
                }
            }

            transaction.Commit();
        }

        return new(failures, nonFinite);
    }

    /// <summary>Sets the parameters to one record.</summary>
    /// <returns>How many of its numbers were not finite (and are written as NULL).</returns>
    private static int Bind(SqliteParameter[] parameters, RouteOutcome outcome)
    {
        var nonFinite = 0;
        parameters[0].Value = outcome.StartedAt.ToUnixTimeMilliseconds();
        parameters[1].Value = outcome.Category.ToString();
        parameters[2].Value = outcome.Target.ToString();
        parameters[3].Value = outcome.Decision.ToString();
        parameters[4].Value = outcome.DecisionReason.ToString();
        parameters[5].Value = outcome.Backend ?? string.Empty; // Required, but a listener may be handed anything.
        parameters[6].Value = (object?)outcome.Model ?? DBNull.Value;
        parameters[7].Value = outcome.InputTokens;
        parameters[8].Value = outcome.OutputTokens;
        parameters[9].Value = Finite(outcome.CostUsd, ref nonFinite);
        parameters[10].Value = Finite(outcome.CloudBaselineCostUsd, ref nonFinite);
        parameters[11].Value = Finite(outcome.Duration.TotalMilliseconds, ref nonFinite);
        parameters[12].Value = outcome.Attempts;
        parameters[13].Value = Validation(outcome);
        parameters[14].Value = outcome.ValidationFailures;
        parameters[15].Value = outcome.EscalationReason.ToString();
        parameters[16].Value = outcome.Failed ? 1 : 0;
        parameters[17].Value = outcome.OutputCommitted ? 1 : 0;
        return nonFinite;
    }
}
