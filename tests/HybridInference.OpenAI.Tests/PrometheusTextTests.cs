using HybridInference.OpenAI.Wire;

namespace HybridInference.OpenAI.Tests;

public sealed class PrometheusTextTests
{
    // The shape of vLLM's /metrics page (gauges per model and engine).
    private const string Page = """
        # HELP vllm:num_requests_running Number of requests currently running on GPU.
        # TYPE vllm:num_requests_running gauge
        vllm:num_requests_running{engine="0",model_name="Qwen/Qwen2.5-7B-Instruct"} 12.0
        # HELP vllm:num_requests_waiting Number of requests waiting to be processed.
        # TYPE vllm:num_requests_waiting gauge
        vllm:num_requests_waiting{engine="0",model_name="Qwen/Qwen2.5-7B-Instruct"} 3.0
        vllm:num_requests_waiting{engine="1",model_name="Qwen/Qwen2.5-7B-Instruct"} 4.0
        vllm:num_requests_waiting{engine="2",model_name="Qwen/Qwen2.5-7B-Instruct"} NaN
        vllm:num_requests_waiting_by_reason{reason="capacity"} 99.0
        """;

    [Fact]
    public void SumGauge_AddsFiniteSeries_AndIgnoresOtherMetrics()
    {
        Assert.Equal(7, PrometheusText.SumGauge(Page, "vllm:num_requests_waiting"));
        Assert.Equal(12, PrometheusText.SumGauge(Page, "vllm:num_requests_running"));
    }

    [Fact]
    public void SumGauge_MetricAbsent_IsNull()
    {
        Assert.Null(PrometheusText.SumGauge("# nothing here\nother_metric 1\n", "vllm:num_requests_waiting"));
    }
}
