using Microsoft.Extensions.AI;
using BenchmarkDotNet.Attributes;
using HybridInference.Tokens;

namespace HybridInference.Benchmarks.Tokens;

/// <summary>
/// The token estimate that runs over every prompt: the rules one character at a time (baseline: the estimate before
/// the bit masks, and still its tail) against <see cref="HeuristicTokenCounter.CountText(ReadOnlySpan{char})"/>, which takes 64
/// characters at a time. Both give the same count (a unit test checks it on random text).
/// </summary>
[MemoryDiagnoser]
public class TokenEstimateBenchmarks
{
    private const string Sentence = "Summarize this note in one sentence: the meeting moved to Thursday at 10. ";

    private static readonly HeuristicTokenCounter Counter = new();

    private string _text = null!;
    private List<ChatMessage> _chat = null!;
    private ChatOptions _options = null!;

    /// <summary>Gets or sets how many times the 74-character sentence is repeated: a short prompt and a long one.</summary>
    [Params(1, 50)]
    public int Sentences { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _text = string.Concat(Enumerable.Repeat(Sentence, Sentences));

        // A chat of four messages over the same text, with instructions: the walk over the chat format around the text.
        _chat = [new(ChatRole.System, "Be brief."), new(ChatRole.User, _text), new(ChatRole.Assistant, "Noted."), new(ChatRole.User, _text)];
        _options = new ChatOptions { Instructions = "Answer in English." };
        if (PerCharacter(_text) != HeuristicTokenCounter.CountText(_text))
        {
            throw new InvalidOperationException("The two estimates disagree.");
        }
    }

    [Benchmark(Baseline = true)]
    public int PerCharacterLoop() => PerCharacter(_text);

    [Benchmark]
    public int BitMasks() => HeuristicTokenCounter.CountText(_text);

    /// <summary>The whole prompt: four messages (the text twice) and instructions, through <see cref="HeuristicTokenCounter.CountPromptTokens"/>.</summary>
    [Benchmark]
    public int ChatPrompt() => Counter.CountPromptTokens(_chat, _options);

    private static int PerCharacter(ReadOnlySpan<char> text)
    {
        var state = default(EstimateState);
        HeuristicTokenCounter.CountPerCharacter(text, ref state);
        return state.Total;
    }
}
