using Microsoft.Extensions.Options;

namespace HybridInference.Tokenizers;

/// <summary>
/// Checks at start-up that every backend's <c>Tokenizer</c> is an encoding this package brings or a file that
/// exists, listing every one that is not with its key.
/// </summary>
internal sealed class TokenizersOptionsValidator : IValidateOptions<HybridInferenceOptions>
{
    public ValidateOptionsResult Validate(string? name, HybridInferenceOptions options)
    {
        List<string>? failures = null;
        Check(options.Local.Backends, "Local", ref failures);
        Check(options.Cloud.Backends, "Cloud", ref failures);
        return failures is null ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Check(IList<BackendOptions> backends, string lane, ref List<string>? failures)
    {
        for (var i = 0; i < backends.Count; i++)
        {
            var value = backends[i].Tokenizer;
            if (string.IsNullOrWhiteSpace(value) || TokenizerLoader.IsEncodingName(value) || File.Exists(value))
            {
                continue;
            }

            (failures ??= []).Add(
                $"HybridInference:{lane}:Backends:{i}:Tokenizer ('{Path.GetFileName(value)}') is neither a tiktoken encoding this package has " +
                $"({string.Join(", ", TokenizerLoader.Encodings)}) nor a file that exists (a SentencePiece .model file or a tiktoken file).");
        }
    }
}
