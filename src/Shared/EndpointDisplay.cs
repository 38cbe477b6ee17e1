namespace HybridInference.Http;

/// <summary>
/// Renders a backend's endpoint for error messages and logs without the parts that may carry secrets: the user-info
/// (<c>https://user:secret@host/v1</c>), the query and the fragment.
/// </summary>
/// <remarks>Every text that shows an endpoint goes through here. Compiled into each package that needs it (source shared from <c>src/Shared</c>).</remarks>
internal static class EndpointDisplay
{
    /// <summary>Renders <paramref name="endpoint"/> as scheme, host, port and (for http and https) path only.</summary>
    /// <param name="endpoint">The endpoint; may be relative or <see langword="null"/>.</param>
    /// <returns>For example <c>https://host/v1</c> (other schemes without the path: <c>ftp://host</c>); a relative or missing endpoint is described, not echoed.</returns>
    public static string Render(Uri? endpoint) => endpoint switch
    {
        null => "(none)",
        { IsAbsoluteUri: true, HostNameType: not UriHostNameType.Unknown, Scheme: "http" or "https" } => endpoint.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped),

        // Other schemes do not all split off a query ("ftp://box/v1?key=..." keeps it in the path): no path at all.
        { IsAbsoluteUri: true, HostNameType: not UriHostNameType.Unknown } => endpoint.GetComponents(UriComponents.SchemeAndServer, UriFormat.UriEscaped),
        { IsAbsoluteUri: true } => endpoint.Scheme + ":(address not shown)",
        _ => "(a relative URL)",
    };
}
