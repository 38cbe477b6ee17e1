namespace HybridInference.Tokenizers.Tests;

/// <summary>
/// The real Llama SentencePiece model these tests count with: <c>tiny-llama.model</c>, the 32,000-piece vocabulary of
/// the engine tests' tiny model (llama.cpp's <c>ggml-vocab-llama-spm.gguf</c>) that <c>tests/engine/make-tiny-model.py</c>
/// writes beside it and <c>eng/test.sh</c> names in <see cref="Variable"/>. Without the variable the engine build's
/// cache folder is looked in. A missing file fails the test with the command that makes it; it is never a skip.
/// </summary>
internal static class TinyTokenizer
{
    /// <summary>The environment variable with the <c>.model</c> file's path.</summary>
    public const string Variable = "HYBRID_TINY_TOKENIZER";

    private static readonly Lazy<string> Located = new(() => Locate(Environment.GetEnvironmentVariable));

    /// <summary>Gets the <c>.model</c> file's path, or throws saying how to get it.</summary>
    public static string Path => Located.Value;

    /// <summary>Finds the file from the environment (the variable, else the engine cache's usual folder), or throws saying how to get it.</summary>
    internal static string Locate(Func<string, string?> environment)
    {
        var cache = environment("HYBRID_ENGINE_CACHE")
            ?? System.IO.Path.Combine(environment("XDG_CACHE_HOME") ?? System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "hybridinference", "llama-server");
        var path = environment(Variable) is { Length: > 0 } set ? set : System.IO.Path.Combine(cache, "node-llama-cpp-3.22.1-de3ff815", "tiny-llama.model");
        if (!File.Exists(path))
        {
            throw new InvalidOperationException(
                $"These tests need the Llama SentencePiece model tiny-llama.model, which is not at {path} ({Variable}). " +
                "Run the tests with the README's test command, `eng/test.sh` (it builds the engine once, caches it outside the repository and writes the model), " +
                $"or run `bash tests/engine/build-llama-server.sh` and `/usr/bin/python3 tests/engine/make-tiny-model.py <its folder>` and set {Variable} to the .model it prints.");
        }

        return path;
    }
}
