using System.Globalization;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.ML.Tokenizers;
using Xunit.Abstractions;

namespace HybridInference.Tokenizers.Tests;

/// <summary>
/// Measures the built-in estimate against the real tokenizers on the corpus, per kind of text, and holds it to the
/// error band it states (the estimate over the exact count, for whole prompts in the chat format). The table it writes
/// is the one README.md shows; the test fails when README.md's copy differs. The tokenizers: the tiktoken encodings
/// <c>o200k_base</c> and <c>cl100k_base</c>, and Llama's SentencePiece model (<see cref="TinyTokenizer"/>, loaded as a
/// backend's <c>Tokenizer</c> is).
/// </summary>
public sealed class TokenEstimateCalibrationTests(ITestOutputHelper output)
{
    /// <summary>The tokenizers measured against, in the order of <see cref="Bands"/>' entries.</summary>
    internal static readonly string[] Tokenizers = ["o200k_base", "cl100k_base", "Llama SentencePiece"];

    /// <summary>
    /// The stated band per kind of text: lowest and highest ratio of estimate to exact count, per tokenizer. Llama's
    /// numbers band starts at 0.33, under the corpus' lowest: Llama splits every digit where the estimate counts one token
    /// per three, so a long enough run of digits tends to a third.
    /// </summary>
    internal static readonly Dictionary<string, (double Low, double High)[]> Bands = new()
    {
        ["prose-en"] = [(1.00, 1.15), (1.00, 1.15), (0.85, 1.00)],
        ["prose-latin"] = [(0.95, 1.35), (0.75, 1.10), (0.70, 1.10)],
        ["code"] = [(1.05, 1.25), (1.05, 1.25), (0.75, 0.95)],
        ["json-compact"] = [(0.95, 1.05), (0.95, 1.05), (0.70, 0.80)],
        ["json-pretty"] = [(0.95, 1.05), (0.95, 1.05), (0.70, 0.85)],
        ["numbers"] = [(0.95, 1.05), (0.95, 1.05), (0.33, 0.65)],
        ["whitespace"] = [(0.90, 1.15), (0.85, 1.15), (0.65, 0.90)],
        ["script-zh"] = [(1.45, 2.00), (0.90, 1.15), (0.75, 0.95)],
        ["script-ja"] = [(1.30, 1.65), (1.00, 1.15), (0.90, 1.05)],
        ["script-cyrillic"] = [(1.55, 2.20), (0.90, 1.25), (1.35, 1.60)],
        ["script-arabic"] = [(2.10, 3.30), (1.00, 1.20), (0.75, 0.90)],
        ["emoji"] = [(1.05, 1.25), (0.85, 1.05), (0.55, 0.80)],
        ["chat"] = [(0.95, 1.40), (0.85, 1.10), (0.70, 1.00)],
    };

    [Fact]
    public void Estimate_EveryKindOfText_StaysInItsStatedBand()
    {
        var estimate = new ServiceCollection().AddHybridInference(_ => { }).Services.BuildServiceProvider().GetRequiredService<ITokenCounter>();
        var exact = Exact();
        var corpus = Corpus.Load();
        Assert.True(corpus.Count >= 30, $"The corpus has {corpus.Count} texts; it should have at least 30.");

        var measured = new SortedDictionary<string, (int Texts, double[] Low, double[] High)>(StringComparer.Ordinal);
        var failures = new List<string>();
        foreach (var (name, kind, messages) in corpus)
        {
            Assert.True(Bands.ContainsKey(kind), $"Text '{name}' is of kind '{kind}', which states no band.");
            var row = measured.GetValueOrDefault(kind, (0, [.. Tokenizers.Select(_ => double.MaxValue)], new double[Tokenizers.Length]));
            row.Texts++;
            var estimated = estimate.CountPromptTokens(messages, null);
            for (var e = 0; e < Tokenizers.Length; e++)
            {
                var ratio = (double)estimated / exact[e].CountPromptTokens(messages, null);
                row.Low[e] = Math.Min(row.Low[e], ratio);
                row.High[e] = Math.Max(row.High[e], ratio);
                var (low, high) = Bands[kind][e];
                if (ratio < low || ratio > high)
                {
                    failures.Add($"{name}: estimate {estimated} is {ratio:F2} times the {Tokenizers[e]} count, outside {kind}'s band {low:F2}-{high:F2}");
                }
            }

            measured[kind] = row;
        }

        var table = Table(measured);
        File.WriteAllText(Path.Combine(AppContext.BaseDirectory, "token-estimate.md"), table);
        output.WriteLine(table);
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));

        var readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md")).ReplaceLineEndings("\n");
        Assert.True(readme.Contains(table, StringComparison.Ordinal), "README.md's table of the estimate's error is not the measured one; the measured one is:\n" + table);
    }

    /// <summary>The exact counters of <see cref="Tokenizers"/>: the encodings, and the SentencePiece model loaded as a backend's <c>Tokenizer</c> is.</summary>
    internal static TokenizerTokenCounter[] Exact()
    {
        var (sentencePiece, description) = TokenizerLoader.Load(TinyTokenizer.Path);
        return
        [
            new(TiktokenTokenizer.CreateForEncoding("o200k_base"), "o200k_base"),
            new(TiktokenTokenizer.CreateForEncoding("cl100k_base"), "cl100k_base"),
            new(sentencePiece, description),
        ];
    }

    private static string Table(SortedDictionary<string, (int Texts, double[] Low, double[] High)> measured)
    {
        var table = new StringBuilder()
            .Append("| kind of text | texts | vs o200k_base: measured | band | vs cl100k_base: measured | band | vs Llama SentencePiece: measured | band |\n")
            .Append("|---|---:|---:|---:|---:|---:|---:|---:|\n");
        foreach (var (kind, (texts, low, high)) in measured)
        {
            table.Append(CultureInfo.InvariantCulture, $"| {kind} | {texts} ");
            for (var e = 0; e < Tokenizers.Length; e++)
            {
                var band = Bands[kind][e];
                table.Append(CultureInfo.InvariantCulture, $"| {low[e]:F2}–{high[e]:F2} | {band.Low:F2}–{band.High:F2} ");
            }

            table.Append("|\n");
        }

        return table.ToString();
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "HybridInference.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("The repository root (HybridInference.sln) is not above " + AppContext.BaseDirectory);
    }
}
