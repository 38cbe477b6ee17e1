using System.Text;
using BenchmarkDotNet.Attributes;

namespace HybridInference.Benchmarks.Privacy;

/// <summary>
/// Personal-data detection over a 1 MB prompt (about a million characters of prose) with none, 100 and 100,000
/// e-mail addresses in it: the time grows with the text, not with the square of the matches. Baseline: one pass of a
/// single linear-time pattern over the same text, the least any detector of these kinds has to do.
/// </summary>
[MemoryDiagnoser]
public class PiiDetectionBenchmarks
{
    private const int PromptChars = 1 << 20;

    private static readonly System.Text.RegularExpressions.Regex OnePattern = new(
        "[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}",
        System.Text.RegularExpressions.RegexOptions.NonBacktracking | System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    private readonly PiiDetector _detector = new();
    private string _prompt = null!;

    /// <summary>Gets or sets how many e-mail addresses the prompt holds.</summary>
    [Params(0, 100, 100_000)]
    public int Matches { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        const string Prose = "The customer wrote again about the delayed order, and asked for a call back. ";
        const string Address = "ab@cd.io ";
        var gap = Matches == 0 ? PromptChars : (PromptChars - (Matches * Address.Length)) / Matches;
        var prompt = new StringBuilder(PromptChars + Prose.Length);
        for (var i = 0; i < Math.Max(1, Matches); i++)
        {
            if (Matches > 0)
            {
                prompt.Append(Address);
            }

            for (var filled = 0; filled < gap; filled += Prose.Length)
            {
                prompt.Append(Prose, 0, Math.Min(Prose.Length, gap - filled));
            }
        }

        _prompt = prompt.ToString();
        var found = _detector.Detect(_prompt).Count;
        if (found != Matches)
        {
            throw new InvalidOperationException($"The prompt holds {Matches} addresses; the detector found {found}.");
        }
    }

    [Benchmark(Baseline = true)]
    public int OneLinearPattern()
    {
        var count = 0;
        foreach (var match in OnePattern.EnumerateMatches(_prompt))
        {
            count += match.Length > 0 ? 1 : 0;
        }

        return count;
    }

    [Benchmark]
    public int Detect() => _detector.Detect(_prompt).Count;
}
