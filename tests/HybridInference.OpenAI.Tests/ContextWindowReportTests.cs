using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace HybridInference.OpenAI.Tests;

/// <summary>
/// Each dialect's report of its context window for one request, read by the health probe
/// (<see cref="HealthProbeData.ContextWindow"/>): llama.cpp's slot <c>n_ctx</c> (<c>/slots</c>, else <c>/props</c>),
/// vLLM's <c>max_model_len</c> (<c>/v1/models</c>), TGI's <c>max_total_tokens</c> (<c>/info</c>); never llama.cpp's
/// <c>n_ctx_train</c>; none for servers that report none.
/// </summary>
public sealed class ContextWindowReportTests : ServerTestBase
{
    private static string TestData(string file) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", file));

    /// <summary>Answers by path (everything else 404), like a real server, whatever order the probe asks in.</summary>
    private void Serve(params (string Path, Func<HttpContext, Task> Respond)[] pages)
    {
        var byPath = pages.ToDictionary(p => p.Path, p => p.Respond, StringComparer.Ordinal);
        Server.Default = context => byPath.TryGetValue(context.Request.Path, out var respond) ? respond(context) : NotFound(context);
    }

    private static Task NotFound(HttpContext context)
    {
        context.Response.StatusCode = 404;
        return Task.CompletedTask;
    }

    private static string Slots(int count, int window) =>
        "[" + string.Join(',', Enumerable.Range(0, count).Select(i => $$"""{"id":{{i}},"n_ctx":{{window}},"speculative":false,"is_processing":false}""")) + "]";

    [Theory]
    [InlineData(1, 512)]
    [InlineData(4, 2048)]
    [InlineData(2, 8192)]
    [InlineData(1, 131072)]
    public async Task LlamaCpp_ReportsTheSlotsWindow(int slots, int window)
    {
        Serve(("/health", Respond.Json("""{"status":"ok"}""")), ("/slots", Respond.Json(Slots(slots, window))));

        var result = await Client("llamacpp").CheckHealthAsync();

        Assert.Equal(HealthStatus.Healthy, result.Status);
        Assert.Equal(window, result.Data[HealthProbeData.ContextWindow]);
        Assert.Equal(["/health", "/slots"], Server.Requests.Select(r => r.Path));
    }

    [Fact]
    public async Task LlamaCpp_RecordedSlots_WindowAndBusySlots()
    {
        Serve(("/health", Respond.Json("""{"status":"ok"}""")), ("/slots", Respond.File(Fixture.Path("llamacpp", "slots.json"))));

        var result = await Client("llamacpp").CheckHealthAsync();

        Assert.Equal((2048, 1), (result.Data[HealthProbeData.ContextWindow], result.Data[HealthProbeData.BusySlots]));
    }

    [Theory]
    [InlineData("llamacpp-slots.json", 8192)]
    [InlineData("llamacpp-slots-legacy.json", 4096)]
    public async Task LlamaCpp_CurrentAndOlderSlots_ReportTheirWindow(string file, int window)
    {
        Serve(("/health", Respond.Json("""{"status":"ok"}""")), ("/slots", Respond.Json(TestData(file))));

        var result = await Client("llamacpp").CheckHealthAsync();

        Assert.Equal(window, result.Data[HealthProbeData.ContextWindow]);
    }

    [Fact]
    public async Task LlamaCpp_SlotsOff_ReadsTheWindowFromProps()
    {
        Serve(
            ("/health", Respond.Json("""{"status":"ok"}""")),
            ("/slots", Respond.Json(TestData("llamacpp-slots-disabled.501.json"), status: 501)),
            ("/props", Respond.File(Fixture.Path("llamacpp", "props.json"))));

        var result = await Client("llamacpp").CheckHealthAsync();

        Assert.Equal(2048, result.Data[HealthProbeData.ContextWindow]);
        Assert.False(result.Data.ContainsKey(HealthProbeData.BusySlots));
        Assert.Equal(["/health", "/slots", "/props"], Server.Requests.Select(r => r.Path));
    }

    [Fact]
    public async Task LlamaCpp_NeitherPage_NoWindow_AndTheTrainingContextOfModelsIsNeverTaken()
    {
        Serve(
            ("/health", Respond.Json("""{"status":"ok"}""")),
            ("/slots", Respond.Json(TestData("llamacpp-slots-disabled.501.json"), status: 501)),
            ("/v1/models", Respond.File(Fixture.Path("llamacpp", "models.json"))));

        var result = await Client("llamacpp").CheckHealthAsync();

        Assert.Equal(HealthStatus.Healthy, result.Status);
        Assert.False(result.Data.ContainsKey(HealthProbeData.ContextWindow)); // models.json's n_ctx_train is 32768: not the window.
        Assert.DoesNotContain(Server.Requests, r => r.Path == "/v1/models");
    }

    [Theory]
    [InlineData("Qwen/Qwen2.5-7B-Instruct", 32768)]
    [InlineData(null, 32768)]
    [InlineData("another-model", 32768)]
    public async Task Vllm_ReportsMaxModelLen(string? model, int window)
    {
        Serve(("/health", Respond.Text(string.Empty)), ("/v1/models", Respond.File(Fixture.Path("vllm", "models.json"))));

        var result = await Client("vllm", model).CheckHealthAsync();

        Assert.Equal(window, result.Data[HealthProbeData.ContextWindow]);
    }

    [Theory]
    [InlineData("base", 8192)]
    [InlineData("adapter", 4096)]
    [InlineData(null, 4096)]
    public async Task Vllm_SeveralModels_TheConfiguredOne_ElseTheSmallest(string? model, int window)
    {
        Serve(
            ("/health", Respond.Text(string.Empty)),
            ("/v1/models", Respond.Json("""{"object":"list","data":[{"id":"base","object":"model","max_model_len":8192},{"id":"adapter","object":"model","max_model_len":4096}]}""")));

        var result = await Client("vllm", model).CheckHealthAsync();

        Assert.Equal(window, result.Data[HealthProbeData.ContextWindow]);
    }

    [Fact]
    public async Task Vllm_TheWindowIsReadOnce_AndAgainAfterTheServerWasUnready()
    {
        var healthy = true;
        Serve(
            ("/health", context => healthy ? Respond.Text(string.Empty)(context) : Respond.Json("""{"error":"down"}""", status: 503)(context)),
            ("/v1/models", Respond.File(Fixture.Path("vllm", "models.json"))));
        var client = Client("vllm");

        await client.CheckHealthAsync();
        var second = await client.CheckHealthAsync();
        healthy = false;
        await client.CheckHealthAsync();
        healthy = true;
        var afterRestart = await client.CheckHealthAsync();

        Assert.Equal(32768, second.Data[HealthProbeData.ContextWindow]);
        Assert.Equal(32768, afterRestart.Data[HealthProbeData.ContextWindow]);
        Assert.Equal(2, Server.Requests.Count(r => r.Path == "/v1/models"));
    }

    [Fact]
    public async Task Tgi_ReportsMaxTotalTokens()
    {
        Serve(("/health", Respond.Text(string.Empty)), ("/info", Respond.File(Fixture.Path("tgi", "info.json"))));

        var result = await Client("tgi").CheckHealthAsync();

        Assert.Equal(4096, result.Data[HealthProbeData.ContextWindow]); // max_total_tokens, not max_input_tokens (4095).
    }

    [Theory]
    [InlineData("ollama", "/api/tags", "api-tags.json")]
    [InlineData("localai", "/readyz", null)]
    [InlineData("mlx", "/v1/models", null)]
    [InlineData("openai-compatible", "/v1/models", null)]
    public async Task ServersThatReportNoWindow_NoWindow(string provider, string path, string? file)
    {
        Serve((path, file is null ? Respond.Json("""{"object":"list","data":[]}""") : Respond.File(Fixture.Path(provider, file))));

        var result = await Client(provider).CheckHealthAsync();

        Assert.Equal(HealthStatus.Healthy, result.Status);
        Assert.False(result.Data.ContainsKey(HealthProbeData.ContextWindow));
    }

    [Theory]
    [InlineData("vllm", "/v1/models", """{"object":"list","data":[{"id":"m","object":"model"}]}""")]
    [InlineData("vllm", "/v1/models", "<html>proxy</html>")]
    [InlineData("tgi", "/info", """{"model_id":"m","max_total_tokens":0}""")]
    [InlineData("tgi", "/info", """{"model_id":"m","max_total_tokens":"4096"}""")]
    [InlineData("llamacpp", "/props", """{"default_generation_settings":{"params":{}}}""")]
    public async Task AWindowPageWithoutAWindow_IsNoReport_AndTheServerStaysHealthy(string provider, string path, string body)
    {
        Serve(("/health", Respond.Text(string.Empty)), (path, Respond.Text(body, contentType: "application/json")));

        var result = await Client(provider).CheckHealthAsync();

        Assert.Equal(HealthStatus.Healthy, result.Status);
        Assert.False(result.Data.ContainsKey(HealthProbeData.ContextWindow));
    }
}
