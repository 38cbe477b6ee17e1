namespace HybridInference.OpenAI.Tests;

/// <summary>Paths of the replayed wire fixtures (see Fixtures/README.md for their sources).</summary>
internal static class Fixture
{
    public static string Path(string server, string file) => System.IO.Path.Combine(AppContext.BaseDirectory, "Fixtures", server, file);

    public static string Read(string server, string file) => File.ReadAllText(Path(server, file));
}
