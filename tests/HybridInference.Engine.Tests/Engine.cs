namespace HybridInference.Engine.Tests;

/// <summary>
/// Where the real engine is: llama.cpp's llama-server and the tiny random-weight model the engine tests run it with.
/// The test command (<c>eng/test.sh</c>) builds or reuses both and says where they are in
/// <see cref="ServerVariable"/> and <see cref="ModelVariable"/>; without them the build cache's usual folder is looked
/// in. A missing engine fails every engine test with the command that gets it; it is never a skip.
/// </summary>
internal static class Engine
{
    /// <summary>The environment variable with the llama-server binary's path.</summary>
    public const string ServerVariable = "HYBRID_LLAMA_SERVER";

    /// <summary>The environment variable with the tiny model's path.</summary>
    public const string ModelVariable = "HYBRID_TINY_MODEL";

    /// <summary>The environment variable the test command sets to say the engine must be there (it always must).</summary>
    public const string RequiredVariable = "HYBRID_ENGINE_REQUIRED";

    private const string CacheFolder = "node-llama-cpp-3.22.1-de3ff815";

    private static readonly Lazy<(string Server, string Model)> Paths = new(() => Locate(Environment.GetEnvironmentVariable));

    /// <summary>Gets the llama-server binary's path, or throws saying how to get it.</summary>
    public static string ServerPath => Paths.Value.Server;

    /// <summary>Gets the tiny model's path, or throws saying how to get it.</summary>
    public static string ModelPath => Paths.Value.Model;

    /// <summary>Finds the engine from the environment (the variables, else the build cache's usual folder), or throws saying how to get it.</summary>
    internal static (string Server, string Model) Locate(Func<string, string?> environment)
    {
        var cache = environment("HYBRID_ENGINE_CACHE")
            ?? Path.Combine(environment("XDG_CACHE_HOME") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "hybridinference", "llama-server");
        var folder = Path.Combine(cache, CacheFolder);
        var server = environment(ServerVariable) is { Length: > 0 } s ? s : Path.Combine(folder, "bin", "llama-server");
        var model = environment(ModelVariable) is { Length: > 0 } m ? m : Path.Combine(folder, "tiny-llama.gguf");
        var required = environment(RequiredVariable) == "1";
        foreach (var (what, path, variable) in new[] { ("llama-server", server, ServerVariable), ("the tiny model", model, ModelVariable) })
        {
            if (!File.Exists(path))
            {
                throw new InvalidOperationException(
                    $"The engine tests need {what}, which is not at {path} ({variable}). " +
                    (required
                        ? "eng/test.sh should have built it: see its output above."
                        : "Run the tests with the README's test command, `eng/test.sh` (it builds llama-server once, about 20 CPU minutes, caches it outside the repository and makes the model), or run `bash tests/engine/build-llama-server.sh` and `/usr/bin/python3 tests/engine/make-tiny-model.py <its folder>` and set " + ServerVariable + " and " + ModelVariable + "."));
            }
        }

        return (server, model);
    }
}
