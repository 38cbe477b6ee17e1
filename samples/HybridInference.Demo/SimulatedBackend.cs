using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace HybridInference.Demo;

/// <summary>
/// An in-process stand-in for an inference server: realistic latency, token usage, occasional malformed JSON and
/// failures, and an optional outage window. Seeded, so every run routes the same way.
/// </summary>
internal sealed class SimulatedBackend(string model, TimeSpan baseLatency, double failureRate, double malformedJsonRate, int seed) : IChatClient
{
    private readonly Random _random = new(seed);
    private readonly Lock _gate = new();
    private readonly long _started = Stopwatch.GetTimestamp();

    /// <summary>Gets or sets the time span, from the backend's creation, during which every call fails (a simulated outage).</summary>
    public (TimeSpan From, TimeSpan To) Outage { get; set; }

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        double jitter, roll, jsonRoll;
        lock (_gate)
        {
            jitter = _random.NextDouble();
            roll = _random.NextDouble();
            jsonRoll = _random.NextDouble();
        }

        var inputTokens = messages.Sum(m => (m.Text.Length / 4) + 4);
        var latency = baseLatency * (0.6 + jitter) + TimeSpan.FromMilliseconds(inputTokens / 50.0);
        await Task.Delay(latency, cancellationToken);

        var now = Stopwatch.GetElapsedTime(_started);
        if ((now >= Outage.From && now < Outage.To) || roll < failureRate)
        {
            throw new HttpRequestException($"{model}: 503 Service Unavailable (simulated)");
        }

        var text = options?.ResponseFormat is ChatResponseFormatJson json
            ? (jsonRoll < malformedJsonRate ? "Sure! Here is the JSON: {\"name\": \"Ada\"" : AnswerFor(json))
            : $"[{model}] answer to: {Shorten(messages.Last().Text)}";

        return new ChatResponse(new ChatMessage(ChatRole.Assistant, text))
        {
            ModelId = model,
            FinishReason = ChatFinishReason.Stop,
            Usage = new UsageDetails { InputTokenCount = inputTokens, OutputTokenCount = (text.Length / 4) + 20, TotalTokenCount = inputTokens + (text.Length / 4) + 20 },
        };
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken);
        foreach (var update in response.ToChatResponseUpdates())
        {
            yield return update;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }

    private static string AnswerFor(ChatResponseFormatJson json) =>
        json.SchemaName == "invoice"
            ? JsonSerializer.Serialize(new { vendor = "Acme GmbH", total = 1249.5, currency = "EUR" })
            : JsonSerializer.Serialize(new { name = "Ada Lovelace", age = 36 });

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "...";
}
