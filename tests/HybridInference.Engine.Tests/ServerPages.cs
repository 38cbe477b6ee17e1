using System.Globalization;
using System.Text;

namespace HybridInference.Engine.Tests;

/// <summary>The server's own pages read directly (its Prometheus <c>/metrics</c>), and plain chat calls that bypass the chain.</summary>
internal static class ServerPages
{
    public static readonly HttpClient Http = new() { Timeout = TimeSpan.FromMinutes(2) };

    /// <summary>Reads the server's <c>llamacpp:</c> metrics by name (without the prefix).</summary>
    public static async Task<Dictionary<string, double>> MetricsAsync(LlamaServer server)
    {
        var text = await Http.GetStringAsync(new Uri(server.Root, "metrics"));
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith("llamacpp:", StringComparison.Ordinal) && line.Split(' ') is [var name, var value, ..])
            {
                values[name["llamacpp:".Length..]] = double.Parse(value, CultureInfo.InvariantCulture);
            }
        }

        return values;
    }

    /// <summary>Sends a chat completion straight to the server, outside the chain.</summary>
    public static async Task<HttpResponseMessage> ChatAsync(LlamaServer server, string prompt, int maxTokens, bool stream, CancellationToken cancellationToken = default)
    {
        var body = $$"""{"model":"tiny-llama","messages":[{"role":"user","content":"{{prompt}}"}],"max_tokens":{{maxTokens}},"stream":{{(stream ? "true" : "false")}}}""";
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server.Root, "v1/chat/completions")) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        return await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
    }
}
