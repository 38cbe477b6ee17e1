using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace HybridInference.DependencyInjection;

/// <summary>Binds the options of an add-on package (a ledger, an outbox) to its configuration section, the same way for each.</summary>
internal static class SectionBinding
{
    /// <summary>
    /// Binds <typeparamref name="TOptions"/> to <paramref name="section"/>, declares the section's keys to the hybrid
    /// client's check for keys nothing reads, and returns the full key of <paramref name="keyName"/> for error messages.
    /// </summary>
    /// <param name="builder">The hybrid client's builder.</param>
    /// <param name="section">The section.</param>
    /// <param name="keyName">The key the error messages name, e.g. <c>DatabasePath</c>.</param>
    /// <param name="fallbackKey">The documented full key, for a section without a path (a configuration root).</param>
    /// <returns>The full key of <paramref name="keyName"/> in <paramref name="section"/>.</returns>
    public static string Bind<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] TOptions>(
        HybridInferenceBuilder builder, IConfiguration section, string keyName, string fallbackKey)
        where TOptions : class
    {
        builder.Services.AddOptions<TOptions>().Bind(section);
        builder.DeclareConfigurationSection(section, typeof(TOptions));
        return section is IConfigurationSection { Path: { Length: > 0 } path } ? path + ":" + keyName : fallbackKey;
    }
}
