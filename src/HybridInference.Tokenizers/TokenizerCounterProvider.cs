using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Options;

namespace HybridInference.Tokenizers;

/// <summary>
/// The <see cref="ITokenCounterProvider"/> of <c>AddTokenizers()</c>: for each backend, in order, the tokenizer its
/// <c>Tokenizer</c> names, or for a cloud backend its OpenAI model's encoding; none otherwise (the estimate counts).
/// Every tokenizer is loaded here, once, when the hybrid client is built; backends that share one share its counter
/// and its cache.
/// </summary>
internal sealed class TokenizerCounterProvider : ITokenCounterProvider
{
    private readonly Dictionary<string, TokenizerTokenCounter> _counters = new(StringComparer.OrdinalIgnoreCase);

    public TokenizerCounterProvider(IOptions<HybridInferenceOptions> options)
        : this(options.Value)
    {
    }

    public TokenizerCounterProvider(HybridInferenceOptions options)
    {
        var loaded = new Dictionary<string, TokenizerTokenCounter>(StringComparer.OrdinalIgnoreCase);
        Add(options.Local.Backends, "Local", cloud: false, loaded);
        Add(options.Cloud.Backends, "Cloud", cloud: true, loaded);
    }

    public bool TryGetExactCounter(string backendName, [NotNullWhen(true)] out ITokenCounter? counter)
    {
        ArgumentNullException.ThrowIfNull(backendName);
        counter = _counters.GetValueOrDefault(backendName);
        return counter is not null;
    }

    private void Add(IList<BackendOptions> backends, string lane, bool cloud, Dictionary<string, TokenizerTokenCounter> loaded)
    {
        for (var i = 0; i < backends.Count; i++)
        {
            var backend = backends[i];
            if (!string.IsNullOrWhiteSpace(backend.Tokenizer))
            {
                if (!loaded.TryGetValue(backend.Tokenizer, out var counter))
                {
                    counter = Load(backend.Tokenizer, $"HybridInference:{lane}:Backends:{i}:Tokenizer");
                    loaded[backend.Tokenizer] = counter;
                }

                _counters[backend.Name] = counter;
            }
            else if (cloud && !string.IsNullOrWhiteSpace(backend.Model))
            {
                var key = "model:" + backend.Model;
                if (!loaded.TryGetValue(key, out var counter) && TokenizerLoader.ForModel(backend.Model) is { } tokenizer)
                {
                    counter = new TokenizerTokenCounter(tokenizer, $"the encoding of model '{backend.Model}'");
                    loaded[key] = counter;
                }

                if (counter is not null)
                {
                    _counters[backend.Name] = counter;
                }
            }
        }
    }

    private static TokenizerTokenCounter Load(string value, string key)
    {
        try
        {
            var (tokenizer, description) = TokenizerLoader.Load(value);
            return new TokenizerTokenCounter(tokenizer, description);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or FormatException or InvalidOperationException or NotSupportedException or Google.Protobuf.InvalidProtocolBufferException)
        {
            // The file's name is configuration, not a secret, but its directory is this machine's: name only the key and the file.
            throw new InvalidOperationException($"{key}: the tokenizer '{Path.GetFileName(value)}' could not be loaded: {e.GetType().Name}.", e);
        }
    }
}
