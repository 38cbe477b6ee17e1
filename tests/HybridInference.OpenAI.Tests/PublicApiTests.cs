namespace HybridInference.OpenAI.Tests;

public sealed class PublicApiTests
{
    [Fact]
    public void PublicApi_MatchesPublicApiTxt()
    {
        PublicApi.Verify(typeof(OpenAICompatibleChatClient).Assembly, RepoPaths.Source("src/HybridInference.OpenAI/PublicAPI.txt"));
    }
}
