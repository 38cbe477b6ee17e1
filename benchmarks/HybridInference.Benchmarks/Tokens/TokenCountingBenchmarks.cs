using BenchmarkDotNet.Attributes;
using HybridInference.Tokenizers;
using HybridInference.Tokens;
using Microsoft.Extensions.AI;
using Microsoft.ML.Tokenizers;

namespace HybridInference.Benchmarks.Tokens;

/// <summary>
/// What an exact count costs next to the estimate: one prompt of 74 or 3,700 characters counted by the estimate
/// (baseline), by tiktoken <c>o200k_base</c> and by Llama's SentencePiece model (Microsoft.ML.Tokenizers, uncached);
/// and a 40-message chat whose history was counted before, once all cached and once with one new message, by each
/// tokenizer, against the estimate of the same 41 messages. The SentencePiece model is <c>tiny-llama.model</c>, which
/// <c>tests/engine/make-tiny-model.py</c> writes and <c>eng/test.sh</c> names in <c>HYBRID_TINY_TOKENIZER</c>.
/// </summary>
[MemoryDiagnoser]
public class TokenCountingBenchmarks
{
    private const string Sentence = "Summarize this note in one sentence: the meeting moved to Thursday at 10. ";
    private const string SentencePieceVariable = "HYBRID_TINY_TOKENIZER";

    private readonly HeuristicTokenCounter _estimate = new();
    private string _text = null!;
    private Tokenizer _tokenizer = null!;
    private TokenizerTokenCounter _counter = null!;
    private Tokenizer _sentencePiece = null!;
    private TokenizerTokenCounter _sentencePieceCounter = null!;
    private List<ChatMessage> _history = null!;
    private List<ChatMessage> _withNew = null!;
    private TextContent _newContent = null!;

    /// <summary>Gets or sets how many times the 74-character sentence is repeated: 74 or 3,700 characters.</summary>
    [Params(1, 50)]
    public int Sentences { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _text = string.Concat(Enumerable.Repeat(Sentence, Sentences));
        _tokenizer = TiktokenTokenizer.CreateForEncoding("o200k_base");
        _counter = new TokenizerTokenCounter(_tokenizer, "o200k_base");
        _sentencePiece = TokenizerLoader.Load(SentencePieceModel()).Tokenizer;
        _sentencePieceCounter = new TokenizerTokenCounter(_sentencePiece, "Llama SentencePiece");
        _history = Enumerable.Range(0, 40)
            .Select(i => new ChatMessage(i % 2 == 0 ? ChatRole.User : ChatRole.Assistant, $"Turn {i}: " + _text))
            .ToList();
        _counter.CountPromptTokens(_history, null); // the earlier turns counted it
        _sentencePieceCounter.CountPromptTokens(_history, null);
        _newContent = new TextContent(_text);
        _withNew = [.. _history, new ChatMessage(ChatRole.User, [_newContent])];
    }

    [Benchmark(Baseline = true)]
    public int Estimate() => HeuristicTokenCounter.CountText(_text);

    [Benchmark]
    public int TiktokenO200k() => _tokenizer.CountTokens(_text);

    [Benchmark]
    public int SentencePieceLlama() => _sentencePiece.CountTokens(_text);

    [Benchmark]
    public int EstimateHistoryOf41() => _estimate.CountPromptTokens(_withNew, null);

    [Benchmark]
    public int CachedHistoryOf40() => _counter.CountPromptTokens(_history, null);

    /// <summary>The 40 cached messages and a new one: the new text is a fresh string each time, so it is tokenized (and cached) each time.</summary>
    [Benchmark]
    public int CachedHistoryOf40PlusOneNew() => CountWithNewMessage(_counter);

    [Benchmark]
    public int SentencePieceCachedHistoryOf40() => _sentencePieceCounter.CountPromptTokens(_history, null);

    /// <summary>As <see cref="CachedHistoryOf40PlusOneNew"/>, counted by the SentencePiece model.</summary>
    [Benchmark]
    public int SentencePieceCachedHistoryOf40PlusOneNew() => CountWithNewMessage(_sentencePieceCounter);

    private int CountWithNewMessage(TokenizerTokenCounter counter)
    {
        _newContent.Text = new string(_text.AsSpan());
        return counter.CountPromptTokens(_withNew, null);
    }

    /// <summary>The <c>.model</c> file <see cref="SentencePieceVariable"/> names, else the engine cache's usual one, or throws saying how to get it.</summary>
    private static string SentencePieceModel()
    {
        var path = Environment.GetEnvironmentVariable(SentencePieceVariable) is { Length: > 0 } set
            ? set
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "hybridinference", "llama-server", "node-llama-cpp-3.22.1-de3ff815", "tiny-llama.model");
        return File.Exists(path)
            ? path
            : throw new InvalidOperationException(
                $"TokenCountingBenchmarks needs the Llama SentencePiece model tiny-llama.model, which is not at {path} ({SentencePieceVariable}): " +
                "run `eng/test.sh` once (it writes it beside the engine it builds), or `bash tests/engine/build-llama-server.sh` and " +
                $"`/usr/bin/python3 tests/engine/make-tiny-model.py <its folder>`, and set {SentencePieceVariable} to the .model it prints.");
    }
}
