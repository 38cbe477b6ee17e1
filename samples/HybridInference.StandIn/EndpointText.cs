using HybridInference.Http;

namespace HybridInference.StandIn;

/// <summary>Shows an endpoint given on the command line or in configuration without any credentials it carries.</summary>
public static class EndpointText
{
    /// <summary>Renders <paramref name="endpoint"/> as scheme, host, port and path; user-info, query and fragment are left out.</summary>
    /// <param name="endpoint">The endpoint as configured; may be missing or not a URL.</param>
    /// <returns>The endpoint to print, or a description when it is missing or not an absolute URL.</returns>
    public static string Show(string? endpoint) =>
        string.IsNullOrWhiteSpace(endpoint) ? "(default endpoint)"
        : Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) ? EndpointDisplay.Render(uri)
        : "(not a URL)";
}
