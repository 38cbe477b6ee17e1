using System.Text;
using HybridInference.Cost;
using Npgsql;
using NpgsqlTypes;

namespace HybridInference.PostgreSql;

/// <summary>
/// The insert of one batch: all records in one transaction and few round trips; when the server refuses one record, the
/// batch is written again with a savepoint per record, so the one that fails costs only itself.
/// </summary>
internal sealed partial class PostgreSqlCostLedger
{
    /// <summary>How many inserts go to the server in one round trip.</summary>
    private const int RoundTrip = 500;

    private const string InsertSql = """
        INSERT INTO cost_ledger_requests (started_at_ms, category, route, decision, decision_reason, backend, model,
            input_tokens, output_tokens, cost_usd, cloud_baseline_usd, latency_ms, attempts, validation,
            validation_failures, escalation_reason, failed, output_committed)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
        """;

    private static readonly NpgsqlDbType[] Columns =
    [
        NpgsqlDbType.Bigint, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text,
        NpgsqlDbType.Text, NpgsqlDbType.Bigint, NpgsqlDbType.Bigint, NpgsqlDbType.Double, NpgsqlDbType.Double,
        NpgsqlDbType.Double, NpgsqlDbType.Integer, NpgsqlDbType.Text, NpgsqlDbType.Integer, NpgsqlDbType.Text,
        NpgsqlDbType.Boolean, NpgsqlDbType.Boolean,
    ];

    private async Task<LedgerWriteResult> InsertOnceAsync(List<RouteOutcome> outcomes, CancellationToken cancellationToken)
    {
        List<(RouteOutcome Outcome, Exception Error)>? failures = null;
        var rows = new List<(RouteOutcome Outcome, object[] Values)>(outcomes.Count);
        var nonFinite = 0;
        var replaced = 0;
        foreach (var outcome in outcomes)
        {
            try
            {
                _seams?.RecordWriting?.Invoke(outcome);
                rows.Add((outcome, Values(outcome, ref nonFinite, ref replaced)));
            }
            catch (Exception ex)
            {
                (failures ??= []).Add((outcome, ex));
            }
        }

        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionLease = connection.ConfigureAwait(false);
        try
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using var transactionLease = transaction.ConfigureAwait(false);
            for (var start = 0; start < rows.Count; start += RoundTrip)
            {
                using var batch = new NpgsqlBatch(connection, transaction);
                for (var i = start; i < Math.Min(rows.Count, start + RoundTrip); i++)
                {
                    batch.BatchCommands.Add(Insert(rows[i].Values));
                }

                await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (PostgreSqlLedgerDatabase.IsRecordError(ex))
        {
            // Nothing was committed; find the records the server refuses, one savepoint each.
            await InsertOneByOneAsync(connection, rows, failures ??= [], cancellationToken).ConfigureAwait(false);
        }

        return new(failures is { Count: > 0 } ? failures : null, nonFinite, replaced);
    }

    private static async Task InsertOneByOneAsync(
        NpgsqlConnection connection, List<(RouteOutcome Outcome, object[] Values)> rows, List<(RouteOutcome, Exception)> failures, CancellationToken cancellationToken)
    {
        var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var transactionLease = transaction.ConfigureAwait(false);
        foreach (var (outcome, values) in rows)
        {
            await transaction.SaveAsync("record", cancellationToken).ConfigureAwait(false);
            try
            {
                using var batch = new NpgsqlBatch(connection, transaction) { BatchCommands = { Insert(values) } };
                await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                await transaction.ReleaseAsync("record", cancellationToken).ConfigureAwait(false);
            }
            catch (PostgresException ex) when (PostgreSqlLedgerDatabase.IsRecordError(ex))
            {
                await transaction.RollbackAsync("record", cancellationToken).ConfigureAwait(false);
                failures.Add((outcome, ex));
            }
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    private static NpgsqlBatchCommand Insert(object[] values)
    {
        var command = new NpgsqlBatchCommand(InsertSql);
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = Columns[i], Value = values[i] });
        }

        return command;
    }

    /// <summary>The values of one record, in the order of the columns.</summary>
    /// <param name="outcome">The record.</param>
    /// <param name="nonFinite">Counts the numbers that were not finite (written as NULL).</param>
    /// <param name="replaced">Counts the characters PostgreSQL's text cannot hold (written as U+FFFD).</param>
    private static object[] Values(RouteOutcome outcome, ref int nonFinite, ref int replaced) =>
    [
        outcome.StartedAt.ToUnixTimeMilliseconds(),
        outcome.Category.ToString(),
        outcome.Target.ToString(),
        outcome.Decision.ToString(),
        outcome.DecisionReason.ToString(),
        Text(outcome.Backend ?? string.Empty, ref replaced), // Required, but a listener may be handed anything.
        outcome.Model is null ? DBNull.Value : Text(outcome.Model, ref replaced),
        outcome.InputTokens,
        outcome.OutputTokens,
        Finite(outcome.CostUsd, ref nonFinite),
        Finite(outcome.CloudBaselineCostUsd, ref nonFinite),
        Finite(outcome.Duration.TotalMilliseconds, ref nonFinite),
        outcome.Attempts,
        Validation(outcome),
        outcome.ValidationFailures,
        outcome.EscalationReason.ToString(),
        outcome.Failed,
        outcome.OutputCommitted,
    ];

    /// <summary>
    /// The text as PostgreSQL can store it: its <c>text</c> holds no NUL and its UTF-8 no unpaired surrogate, so each is
    /// written as U+FFFD (and counted) rather than failing the record.
    /// </summary>
    internal static string Text(string text, ref int replaced)
    {
        var span = text.AsSpan();
        if (span.IndexOf('\0') < 0 && span.IndexOfAnyInRange('\uD800', '\uDFFF') < 0)
        {
            return text;
        }

        var builder = new StringBuilder(text.Length);
        for (var i = 0; i < span.Length; i++)
        {
            var c = span[i];
            if (char.IsHighSurrogate(c) && i + 1 < span.Length && char.IsLowSurrogate(span[i + 1]))
            {
                builder.Append(c).Append(span[++i]);
            }
            else if (c == '\0' || char.IsSurrogate(c))
            {
                builder.Append('\uFFFD');
                replaced++;
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }
}
