namespace HybridInference.OpenAI.Tests;

/// <summary>Paths of the replayed wire fixtures (see Fixtures/README.md for their sources).</summary>
internal static class Fixture
{
    public static string Path(string server, string file) => System.IO.Path.Combine(AppContext.BaseDirectory, "Fixtures", server, file);

    public static string Read(string server, string file) => File.ReadAllText(Path(server, file));

    /// <summary>A server's recorded chat completion with its answer replaced by <paramref name="content"/> (JSON-encoded).</summary>
    public static string Completion(string server, string content) =>
        Read(server, "chat-completion.json").Replace("Hello! How can I help you today?", System.Text.Json.JsonEncodedText.Encode(content).ToString(), StringComparison.Ordinal);
}
