using Microsoft.Extensions.DependencyInjection;
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
/// That redaction covers the formatted message only: the log state that structured sinks (OpenTelemetry, Serilog)
/// export holds the raw header values. So a backend's client (<see cref="CreateClient"/>) also masks the key headers
/// (<c>***</c>) before the factory's logging handlers see the request, and puts the values back around the primary
/// handler, just before the request goes on the wire.
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

    private const string Mask = "***";

    private static readonly HttpRequestOptionsKey<List<KeyValuePair<string, string[]>>> MaskedHeaders = new("HybridInference.MaskedHeaders");

    private static readonly string[] SecretHeaders = ["Authorization", "Proxy-Authorization", "api-key", "x-api-key", "x-goog-api-key"];

    /// <summary>Creates a backend's <see cref="HttpClient"/>: its named client's handlers, with the key headers masked while they run.</summary>
    /// <param name="services">The services holding the <see cref="IHttpMessageHandlerFactory"/>.</param>
    /// <param name="backend">The backend's configured name.</param>
    /// <returns>The client; disposing it leaves the factory's handlers to the factory.</returns>
    public static HttpClient CreateClient(IServiceProvider services, string backend) =>
        new(new MaskingHandler { InnerHandler = services.GetRequiredService<IHttpMessageHandlerFactory>().CreateHandler(ClientName(backend)) });

    /// <summary>
    /// Wraps the named client's redaction predicate so that the key headers are always redacted, and its primary
    /// handler so that masked key headers get their values back.
    /// </summary>
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
        options.HttpMessageHandlerBuilderActions.Add(builder => builder.PrimaryHandler = new UnmaskingHandler { InnerHandler = builder.PrimaryHandler });
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

    private static void MaskKeyHeaders(HttpRequestMessage request)
    {
        List<KeyValuePair<string, string[]>>? masked = null;
        foreach (var header in SecretHeaders)
        {
            if (request.Headers.TryGetValues(header, out var values))
            {
                (masked ??= []).Add(new(header, [.. values]));
                request.Headers.Remove(header);
                request.Headers.TryAddWithoutValidation(header, Mask);
            }
        }

        if (masked is not null)
        {
            request.Options.Set(MaskedHeaders, masked);
        }
    }

    private static void UnmaskKeyHeaders(HttpRequestMessage request)
    {
        if (request.Options.TryGetValue(MaskedHeaders, out var masked))
        {
            foreach (var (header, values) in masked)
            {
                request.Headers.Remove(header);
                request.Headers.TryAddWithoutValidation(header, values);
            }
        }
    }

    /// <summary>The outermost handler of a backend's client: masks the key headers.</summary>
    private sealed class MaskingHandler : DelegatingHandler
    {
        protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            MaskKeyHeaders(request);
            return base.Send(request, cancellationToken);
        }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            MaskKeyHeaders(request);
            return base.SendAsync(request, cancellationToken);
        }
    }

    /// <summary>Around the primary handler of a backend's named client: gives the masked key headers their values back.</summary>
    private sealed class UnmaskingHandler : DelegatingHandler
    {
        protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            UnmaskKeyHeaders(request);
            return base.Send(request, cancellationToken);
        }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            UnmaskKeyHeaders(request);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
