using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace HybridInference.Sqlite;

/// <summary>Binds the options of a SQLite feature (ledger, outbox) to its configuration section, the same way for each.</summary>
internal static class SqliteSection
{
    /// <summary>
    /// Binds <typeparamref name="TOptions"/> to <paramref name="section"/>, declares the section's keys to the hybrid
    /// client's check for keys nothing reads, and returns the full key of the database path for error messages.
    /// </summary>
    /// <param name="builder">The hybrid client's builder.</param>
    /// <param name="section">The section.</param>
    /// <param name="fallbackKey">The documented key of the path, for a section without a path (a configuration root).</param>
    /// <returns>The key of <c>DatabasePath</c> in <paramref name="section"/>.</returns>
    public static string Bind<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] TOptions>(
        HybridInferenceBuilder builder, IConfiguration section, string fallbackKey)
        where TOptions : class
    {
        builder.Services.AddOptions<TOptions>().Bind(section);
        builder.DeclareConfigurationSection(section, typeof(TOptions));
        return section is IConfigurationSection { Path: { Length: > 0 } path } ? path + ":DatabasePath" : fallbackKey;
    }
}
