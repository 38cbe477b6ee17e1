namespace HybridInference.TestUtilities;

/// <summary>Finds files of the repository from a test's output folder.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string Source(string relative) => Path.Combine(Root, relative);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "HybridInference.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("HybridInference.sln not found above " + AppContext.BaseDirectory);
    }
}
