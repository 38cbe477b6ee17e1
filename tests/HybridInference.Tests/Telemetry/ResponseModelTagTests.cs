using HybridInference.Internal;
using HybridInference.Telemetry;

namespace HybridInference.Tests.Telemetry;

/// <summary>The <c>gen_ai.response.model</c> and finish-reason tag values: bounded by configuration, whatever a server sends.</summary>
public sealed class ResponseModelTagTests
{
    [Theory]
    [InlineData("gpt-4o", "gpt-4o", "gpt-4o")]
    [InlineData("gpt-4o", "GPT-4o", "gpt-4o")]
    [InlineData("gpt-4o", "gpt-4o-2024-08-06", "gpt-4o")]
    [InlineData("llama3.2", "llama3.2:latest", "llama3.2")]
    [InlineData("llama3.2", "llama3.2:3b", "llama3.2")]
    [InlineData("claude-3-5-sonnet", "claude-3-5-sonnet-20241022", "claude-3-5-sonnet")]
    [InlineData("gpt-4o", "gpt-4o-mini", "other")]
    [InlineData("gpt-4o", "gpt-4o-", "other")]
    [InlineData("gpt-4o", "gpt-4omni", "other")]
    [InlineData("gpt-4o", "sk-proj-0123456789abcdef0123456789abcdef", "other")]
    [InlineData("gpt-4o", "gpt-3.5-turbo", "other")]
    [InlineData(null, "Qwen/Qwen2.5-7B-Instruct", "other")]
    [InlineData("gpt-4o", null, null)]
    public void ResponseModelTag_IsTheConfiguredModelOrOther(string? configured, string? sent, string? expected)
    {
        var backend = new BackendInfo("b", BackendLane.Cloud, "openai", configured, ContextWindow: null);

        Assert.Equal(expected, backend.ResponseModelTag(sent));
    }

    [Fact]
    public void ResponseModelTag_ManyDistinctServerValues_GiveOneTagValue()
    {
        var backend = new BackendInfo("b", BackendLane.Local, "vllm", "m", ContextWindow: null);

        var values = Enumerable.Range(0, 1000).Select(i => backend.ResponseModelTag($"model-{i}-{new string('x', i)}")).Distinct().ToList();

        Assert.Equal(["other"], values);
    }

    [Theory]
    [InlineData("stop", "stop")]
    [InlineData("length", "length")]
    [InlineData("tool_calls", "tool_calls")]
    [InlineData("content_filter", "content_filter")]
    [InlineData("sk-proj-0123456789abcdef", "other")]
    [InlineData("a reason no convention knows", "other")]
    public void FinishReasonTag_IsAKnownReasonOrOther(string sent, string expected)
    {
        Assert.Equal([expected], HybridInferenceTelemetry.ToTag(new ChatFinishReason(sent)));
    }
}
