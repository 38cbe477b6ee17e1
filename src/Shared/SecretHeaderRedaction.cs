using Microsoft.Extensions.Http;
using Microsoft.Extensions.Options;

namespace HybridInference.Http;

/// <summary>
/// Keeps API keys out of <see cref="System.Net.Http.IHttpClientFactory"/>'s header logs (Trace level) for the
/// backends' named clients (<c>HybridInference.&lt;backend name&gt;</c>), whatever the app configured for its clients.
/// </summary>
/// <remarks>
/// Since .NET 9 the factory redacts every header value unless a client names its own sensitive headers; an app that
/// does so for all clients (<c>ConfigureHttpClientDefaults(b =&gt; b.RedactLoggedHeaders(["X-Secret"]))</c>) would
/// otherwise have the backends' keys logged in clear. The app's own predicate still applies on top of this one.
/// Compiled into each provider package (source shared from <c>src/Shared</c>).
/// </remarks>
internal sealed class SecretHeaderRedaction : IPostConfigureOptions<HttpClientFactoryOptions>
{
    /// <summary>The prefix of the backends' named clients.</summary>
    private const string ClientNamePrefix = "HybridInference.";

    /// <summary>Names a backend's <see cref="System.Net.Http.HttpClient"/>: the one name scheme this redaction applies to.</summary>
    /// <param name="backend">The backend's configured name.</param>
    /// <returns><c>HybridInference.&lt;backend&gt;</c>.</returns>
    public static string ClientName(string backend) => ClientNamePrefix + backend;

    private static readonly string[] SecretHeaders = ["Authorization", "Proxy-Authorization", "api-key", "x-api-key", "x-goog-api-key"];

    /// <summary>Wraps the named client's redaction predicate so that the key headers are always redacted.</summary>
    /// <param name="name">The client's name.</param>
    /// <param name="options">The client's options.</param>
    public void PostConfigure(string? name, HttpClientFactoryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (name is null || !name.StartsWith(ClientNamePrefix, StringComparison.Ordinal))
        {
            return;
        }

        var configured = options.ShouldRedactHeaderValue;
        options.ShouldRedactHeaderValue = header => IsSecret(header) || configured(header);
    }

    private static bool IsSecret(string header)
    {
        foreach (var secret in SecretHeaders)
        {
            if (string.Equals(header, secret, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
