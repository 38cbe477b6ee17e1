using System.Diagnostics;
using HybridInference.JsonSchema;
using Microsoft.Extensions.AI;

namespace HybridInference.Calibration;

/// <summary>What happened to one prompt of the calibration run.</summary>
/// <param name="Prompt">The prompt.</param>
/// <param name="Outcome">The request's outcome, from the response or, for a failure, from its exception.</param>
/// <param name="Error">The exception type of a failed request, or null.</param>
/// <param name="Matched">Whether the answer was the expected one; null when nothing was expected or there was no answer.</param>
internal sealed record CalibrationResult(CalibrationPrompt Prompt, RouteOutcome? Outcome, string? Error, bool? Matched)
{
    public bool Failed => Error is not null;
}

/// <summary>Sends every prompt through the hybrid client, a few at a time, showing progress.</summary>
internal static class CalibrationRun
{
    public static async Task<IReadOnlyList<CalibrationResult>> RunAsync(IChatClient chat, IReadOnlyList<CalibrationPrompt> prompts, int concurrency, TextWriter progress)
    {
        var results = new CalibrationResult[prompts.Count];
        var done = 0;
        var bar = new ProgressBar(progress, prompts.Count);
        await Parallel.ForAsync(0, prompts.Count, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (i, cancellationToken) =>
        {
            var prompt = prompts[i];
            try
            {
                var response = await chat.GetResponseAsync([new ChatMessage(ChatRole.User, prompt.Prompt)], prompt.ToOptions(), cancellationToken);
                results[i] = new CalibrationResult(prompt, response.GetRouteOutcome(), null, prompt.Matches(response.Text));
            }
            catch (Exception ex) when (ex is HybridInferenceException or InvalidJsonSchemaException or BackendException or TimeoutException)
            {
                results[i] = new CalibrationResult(prompt, ex.GetRouteOutcome(), ex.GetType().Name, null);
            }

            bar.Report(Interlocked.Increment(ref done));
        });

        bar.Finish();
        return results;
    }

    /// <summary>A one-line bar redrawn in place on a terminal; on a pipe or a file, a line every tenth of the way.</summary>
    private sealed class ProgressBar(TextWriter output, int total)
    {
        private const int Width = 40;
        private readonly Lock _gate = new();
        private readonly bool _interactive = !Console.IsOutputRedirected;
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private int _lastTenth = -1;

        public void Report(int done)
        {
            lock (_gate)
            {
                var filled = done * Width / total;
                var line = $"[{new string('#', filled)}{new string('.', Width - filled)}] {done}/{total}  {_clock.Elapsed.TotalSeconds:F1} s";
                if (_interactive)
                {
                    output.Write("\r" + line);
                }
                else if (done * 10 / total is var tenth && tenth != _lastTenth)
                {
                    _lastTenth = tenth;
                    output.WriteLine(line);
                }
            }
        }

        public void Finish()
        {
            if (_interactive)
            {
                output.WriteLine();
            }
        }
    }
}
