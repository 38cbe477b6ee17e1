namespace HybridInference.Tests;

public sealed class PublicApiTests
{
    [Fact]
    public void PublicApi_MatchesPublicApiTxt()
    {
        PublicApi.Verify(typeof(IRoutingPolicy).Assembly, RepoPaths.Source("src/HybridInference/PublicAPI.txt"));
    }
}
