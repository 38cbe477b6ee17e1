using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace HybridInference.Tokenizers;

/// <summary>Loads the tokenizer a backend's <c>Tokenizer</c> names, or its OpenAI model's encoding.</summary>
internal static partial class TokenizerLoader
{
    /// <summary>The tiktoken encodings whose data this package brings.</summary>
    public static readonly string[] Encodings = ["o200k_base", "cl100k_base"];

    /// <summary>Whether a <c>Tokenizer</c> value names an encoding of <see cref="Encodings"/>.</summary>
    public static bool IsEncodingName(string value) => Array.Exists(Encodings, e => string.Equals(e, value, StringComparison.OrdinalIgnoreCase));

    /// <summary>Whether a <c>Tokenizer</c> value is the path of a SentencePiece model.</summary>
    public static bool IsSentencePiece(string value) => value.EndsWith(".model", StringComparison.OrdinalIgnoreCase);

    /// <summary>Loads the tokenizer a <c>Tokenizer</c> value names.</summary>
    /// <param name="value">An encoding name, or the path of a SentencePiece model or tiktoken file.</param>
    /// <returns>The tokenizer and what it is, for messages.</returns>
    public static (Tokenizer Tokenizer, string Description) Load(string value)
    {
        if (IsEncodingName(value))
        {
            var name = value.ToLowerInvariant();
            return (TiktokenTokenizer.CreateForEncoding(name), name);
        }

        using var stream = File.OpenRead(value);
        if (IsSentencePiece(value))
        {
            return (SentencePieceTokenizer.Create(stream, false, false), "a SentencePiece model");
        }

        // A tiktoken vocabulary carries no pre-tokenization rule: it is cut as cl100k_base and o200k_base's family does.
        return (TiktokenTokenizer.Create(stream, new RegexPreTokenizer(Cl100kPattern(), specialTokens: null), normalizer: null), "a tiktoken file");
    }

    /// <summary>
    /// Loads the encoding of an OpenAI model by its name (<c>gpt-4o</c>, <c>gpt-4.1-mini</c>, <c>o3</c>, <c>gpt-4</c>, ...); null
    /// for a model Microsoft.ML.Tokenizers does not know, and for one whose encoding's data this package does not bring
    /// (the legacy <c>p50k_base</c>, <c>r50k_base</c> and <c>gpt2</c> models): those keep the estimate.
    /// </summary>
    public static Tokenizer? ForModel(string model)
    {
        try
        {
            return TiktokenTokenizer.CreateForModel(model);
        }
        catch (NotSupportedException)
        {
            return null;
        }
        catch (ArgumentException)
        {
            return null;
        }
        catch (InvalidOperationException)
        {
            // The model's encoding is known, but its data package is not referenced.
            return null;
        }
    }

    [GeneratedRegex(@"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")]
    private static partial Regex Cl100kPattern();
}
