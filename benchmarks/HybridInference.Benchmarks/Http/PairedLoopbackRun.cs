using System.Diagnostics;
using System.Globalization;

namespace HybridInference.Benchmarks.Http;

/// <summary>
/// Runs the methods of <see cref="LoopbackHttpBenchmarks"/> interleaved, in rounds, and compares each with the raw SDK
/// <em>of the same round</em>: a paired measurement. BenchmarkDotNet measures one method after another, minutes apart,
/// so on a host whose speed drifts (a shared VM) the drift between methods can exceed a few percent; pairing cancels
/// it, because both sides of each ratio ran within the same second.
/// </summary>
/// <remarks>
/// Each round times <c>calls</c> sequential calls of every method, in forward order on even rounds and backward on
/// odd ones (so no method always runs first). The report gives each method's median time per call, the median of its
/// per-round ratios to the raw SDK, and a 95% bootstrap interval for that median. The 3% target holds when the
/// interval's upper end for <see cref="LoopbackHttpBenchmarks.HybridChain"/> is at most 1.03.
/// </remarks>
internal static class PairedLoopbackRun
{
    private const double Target = 1.03;

    public static async Task<int> RunAsync(int rounds, int calls)
    {
        var benchmarks = new LoopbackHttpBenchmarks();
        benchmarks.Setup();
        try
        {
            (string Name, Func<Task<string>> Call)[] methods =
            [
                (nameof(LoopbackHttpBenchmarks.RawOpenAISdk), benchmarks.RawOpenAISdk),
                (nameof(LoopbackHttpBenchmarks.BackendClientAlone), benchmarks.BackendClientAlone),
                (nameof(LoopbackHttpBenchmarks.MeaiOpenAIClient), benchmarks.MeaiOpenAIClient),
                (nameof(LoopbackHttpBenchmarks.OpenAICloudBackendClient), benchmarks.OpenAICloudBackendClient),
                (nameof(LoopbackHttpBenchmarks.HybridChain), benchmarks.HybridChain),
                (nameof(LoopbackHttpBenchmarks.HybridChainWithoutHttpClientLogging), benchmarks.HybridChainWithoutHttpClientLogging),
                (nameof(LoopbackHttpBenchmarks.HybridChainSameHttpClient), benchmarks.HybridChainSameHttpClient),
            ];

            // Warm-up: tiered compilation, connection pools, the chain's first probes.
            foreach (var (_, call) in methods)
            {
                for (var i = 0; i < Math.Max(calls, 2_000); i++)
                {
                    await call();
                }
            }

            var perCall = methods.Select(_ => new double[rounds]).ToArray();
            for (var round = 0; round < rounds; round++)
            {
                for (var step = 0; step < methods.Length; step++)
                {
                    var m = round % 2 == 0 ? step : methods.Length - 1 - step;
                    var watch = Stopwatch.StartNew();
                    for (var i = 0; i < calls; i++)
                    {
                        await methods[m].Call();
                    }

                    perCall[m][round] = watch.Elapsed.TotalMicroseconds / calls;
                }
            }

            Console.WriteLine($"Paired loopback run: {rounds} rounds of {calls} calls per method, interleaved; ratios against {methods[0].Name} of the same round.");
            Console.WriteLine();
            Console.WriteLine("| Method | median µs/call | median ratio | 95% interval of the median ratio |");
            Console.WriteLine("|---|---:|---:|---|");
            var verdict = 0;
            for (var m = 0; m < methods.Length; m++)
            {
                var ratios = perCall[m].Zip(perCall[0], (x, raw) => x / raw).ToArray();
                var (low, high) = MedianInterval(ratios);
                Console.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"| {methods[m].Name} | {Median(perCall[m]):F2} | {Median(ratios):F3} | {low:F3} – {high:F3} |"));
                if (methods[m].Name == nameof(LoopbackHttpBenchmarks.HybridChain))
                {
                    verdict = high <= Target ? 0 : 1;
                }
            }

            Console.WriteLine();
            Console.WriteLine(verdict == 0
                ? $"Target met: HybridChain is at most {(Target - 1) * 100:F0}% slower than the raw SDK (upper end of the interval)."
                : $"Target not shown: the interval for HybridChain reaches past {Target:F2}.");
            return verdict;
        }
        finally
        {
            benchmarks.Cleanup();
        }
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>A percentile bootstrap of the median (2,000 resamples, fixed seed, so a run's report is reproducible from its data).</summary>
    private static (double Low, double High) MedianInterval(double[] values)
    {
        var random = new Random(20261122);
        var medians = new double[2_000];
        var sample = new double[values.Length];
        for (var b = 0; b < medians.Length; b++)
        {
            for (var i = 0; i < sample.Length; i++)
            {
                sample[i] = values[random.Next(values.Length)];
            }

            medians[b] = Median(sample);
        }

        Array.Sort(medians);
        return (medians[(int)(0.025 * medians.Length)], medians[(int)(0.975 * medians.Length) - 1]);
    }
}
