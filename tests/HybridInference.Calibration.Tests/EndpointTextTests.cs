using HybridInference.StandIn;

namespace HybridInference.Calibration.Tests;

/// <summary>The samples print the endpoints they were given without the credentials a URL can carry.</summary>
public sealed class EndpointTextTests
{
    [Theory]
    [InlineData("https://user:s3cr3t-pass@api.example.com/v1", "https://api.example.com/v1")]
    [InlineData("https://api.example.com/v1?api-key=s3cr3t-pass", "https://api.example.com/v1")]
    [InlineData("https://api.example.com/v1#s3cr3t-pass", "https://api.example.com/v1")]
    [InlineData("http://:s3cr3t-pass@127.0.0.1:8080/v1", "http://127.0.0.1:8080/v1")]
    [InlineData("http://localhost:11434/v1", "http://localhost:11434/v1")]
    [InlineData("", "(default endpoint)")]
    [InlineData(null, "(default endpoint)")]
    [InlineData("s3cr3t-pass", "(not a URL)")]
    public void Show_LeavesOutUserInfoQueryAndFragment(string? endpoint, string expected)
    {
        var shown = EndpointText.Show(endpoint);

        Assert.Equal(expected, shown);
        Assert.DoesNotContain("s3cr3t", shown, StringComparison.Ordinal);
    }
}
