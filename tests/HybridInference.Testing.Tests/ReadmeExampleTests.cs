using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;

namespace HybridInference.Testing.Tests;

/// <summary>The code of the README's section on Microsoft's fakes, compiled and run as it is shown there.</summary>
public sealed class ReadmeExampleTests
{
    [Fact]
    public async Task MicrosoftFakes_DriveTheClock_AndCollectTheChainsLogsAndMetrics()
    {
        // README: begin
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var local = new FakeChatClient("local") { TimeProvider = time }.Reply("slow but local", delay: TimeSpan.FromSeconds(2));
        var cloud = new FakeChatClient("cloud");

        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);                                    // the chain's clock
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Debug).AddFakeLogging());
        services.AddHybridInference(o => { })
                .AddLocalBackend("local", _ => local)
                .AddCloudBackend("cloud", _ => cloud);
        using var provider = services.BuildServiceProvider();
        using var dispatches = new MetricCollector<long>(
            provider.GetRequiredService<IMeterFactory>(), "HybridInference", "hybrid_inference.dispatches");
        var chat = provider.GetRequiredService<IChatClient>();

        var answer = chat.GetResponseAsync("Summarize this ticket in one line: ...");
        time.Advance(TimeSpan.FromSeconds(2));                                        // no waiting: the reply is due now
        Assert.Equal("slow but local", (await answer).Text);

        var dispatch = Assert.Single(dispatches.GetMeasurementSnapshot());
        Assert.Equal("local", dispatch.Tags["target"]);
        var logs = provider.GetFakeLogCollector().GetSnapshot();
        Assert.Contains(logs, r => r.Message.StartsWith("Routed a Routine request", StringComparison.Ordinal));
        // README: end
        Assert.Empty(cloud.Requests);
    }

    [Fact]
    public void Readme_ShowsTheCodeOfTheExampleTest()
    {
        var test = File.ReadAllText(RepoPaths.Source("tests/HybridInference.Testing.Tests/ReadmeExampleTests.cs")).ReplaceLineEndings("\n");
        var readme = File.ReadAllText(RepoPaths.Source("src/HybridInference.Testing/README.md")).ReplaceLineEndings("\n");
        var begin = test.IndexOf("// README: begin\n", StringComparison.Ordinal) + "// README: begin\n".Length;
        var end = test.IndexOf("        // README: end", begin, StringComparison.Ordinal);
        var example = string.Join("\n", test[begin..end].TrimEnd('\n').Split('\n').Select(line => line.Length >= 8 ? line[8..] : line.TrimStart()));

        Assert.Contains("```csharp\n" + example + "\n```", readme, StringComparison.Ordinal);
    }
}
