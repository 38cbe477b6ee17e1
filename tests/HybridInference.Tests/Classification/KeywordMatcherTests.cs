using HybridInference.Classification;

namespace HybridInference.Tests.Classification;

/// <summary>The keyword matcher tells which keyword matched, case-insensitively, at word boundaries, in the order given.</summary>
public sealed class KeywordMatcherTests
{
    [Theory]
    [InlineData("Quarterly numbers", "quarterly")]
    [InlineData("see the AUDIT log", "audit*")]
    [InlineData("an Ärztin wrote", "ärzt*")]
    [InlineData("cardiology ward", "cardio*")]
    [InlineData("take care now", "care")]
    [InlineData("ıs it", null)]
    [InlineData("careful now", null)]
    [InlineData("subaudit", null)]
    public void Find_GivesTheFirstKeywordInTheGivenOrder_ThatMatchesWhereTheTextMatches(string text, string? expected)
    {
        var matcher = new KeywordMatcher(["QUARTERLY", "audits", "audit*", "audit", "ärzt*", "cardio*", "care", "is"]);

        var found = matcher.Find(text);

        Assert.Equal(expected, found, StringComparer.OrdinalIgnoreCase);
    }

    [Fact]
    public void Find_AKeywordWhoseFirstLetterFoldsToAscii_IsFoundAsOrdinalIgnoreCaseFindsIt()
    {
        // U+017F (long s) is upper-cased to 'S' by OrdinalIgnoreCase: the matcher must agree with the search it runs.
        var matcher = new KeywordMatcher(["\u017Fecret"]);

        Assert.Equal(string.Equals("secret", "\u017Fecret", StringComparison.OrdinalIgnoreCase) ? "\u017Fecret" : null, matcher.Find("a secret plan"));
        Assert.Equal("\u017Fecret", matcher.Find("a \u017Fecret plan"));
    }
}
