using System.Text;
using Microsoft.Extensions.Configuration;

namespace HybridInference.TestUtilities;

/// <summary>Configuration read from a JSON text, as an app's <c>appsettings.json</c> would be.</summary>
public static class JsonSettings
{
    /// <summary>Reads <paramref name="json"/> as configuration.</summary>
    public static IConfigurationRoot Parse(string json) =>
        new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();
}
