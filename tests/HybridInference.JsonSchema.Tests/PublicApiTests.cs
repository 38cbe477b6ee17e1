namespace HybridInference.JsonSchema.Tests;

public sealed class PublicApiTests
{
    [Fact]
    public void PublicApi_MatchesPublicApiTxt()
    {
        PublicApi.Verify(typeof(JsonSchemaValidator).Assembly, RepoPaths.Source("src/HybridInference.JsonSchema/PublicAPI.txt"));
    }
}
