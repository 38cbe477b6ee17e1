using HybridInference.OpenAI.Wire;

namespace HybridInference.OpenAI.Tests;

/// <summary>llama.cpp's <c>/slots</c>: busy slots counted in both the current and the older shape; anything else is no report.</summary>
public sealed class SlotsReaderTests
{
    private static string Read(string file) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", file));

    [Fact]
    public void CurrentShape_CountsSlotsThatAreProcessing() => Assert.Equal(3, SlotsReader.CountBusy(Read("llamacpp-slots.json")));

    [Fact]
    public void OlderShape_CountsSlotsWhoseStateIsNotIdle() => Assert.Equal(1, SlotsReader.CountBusy(Read("llamacpp-slots-legacy.json")));

    [Theory]
    [InlineData("[]", 0)]
    [InlineData("""[{"id":0,"is_processing":false}]""", 0)]
    public void NoBusySlots_IsZero(string body, int expected) => Assert.Equal(expected, SlotsReader.CountBusy(body));

    [Theory]
    [InlineData("llamacpp-slots-disabled.501.json")]
    public void AnErrorBody_IsNoReport(string file) => Assert.Null(SlotsReader.CountBusy(Read(file)));

    [Theory]
    [InlineData("")]
    [InlineData("<html>proxy</html>")]
    [InlineData("""{"slots":[]}""")]
    [InlineData("[1,2]")]
    [InlineData("""[{"id":0}]""")]
    public void NotASlotsArray_IsNoReport(string body) => Assert.Null(SlotsReader.CountBusy(body));
}
