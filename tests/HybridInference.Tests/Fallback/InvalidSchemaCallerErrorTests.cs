using System.Text.Json;
using HybridInference.JsonSchema;
using HybridInference.Tests.Chain;
using Microsoft.Extensions.DependencyInjection;
using static HybridInference.Tests.Chain.Requests;

namespace HybridInference.Tests.Fallback;

/// <summary>
/// An <see cref="InvalidJsonSchemaException"/> (an <see cref="ArgumentException"/>: the schema is the caller's
/// argument) that a validator raises only when it validates an answer, not when the request is made: it reaches the
/// caller as it is, plain or streamed, hedged or not; it is never escalated to the cloud, never counted by a circuit
/// breaker and never wrapped in a <see cref="BackendException"/>.
/// </summary>
public sealed class InvalidSchemaCallerErrorTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task SchemaRefusedOnlyWhenValidating_TheCallerGetsIt_NoEscalation_TheBreakerStaysClosed(bool streaming)
    {
        var validator = new ValidateTimeSchemaCheck();
        using var host = HybridHost.Create(
            HybridHost.DefaultJson.Replace("\"MinimumThroughput\": 20", "\"MinimumThroughput\": 2", StringComparison.Ordinal),
            services: s => s.AddSingleton<IJsonSchemaValidator>(validator));
        host.Local.DefaultReply = _ => ValidPerson;
        host.Cloud!.DefaultReply = _ => ValidPerson;

        for (var i = 0; i < 5; i++)
        {
            var error = await Record.ExceptionAsync(() => Send(host, streaming));
            Assert.IsType<InvalidJsonSchemaException>(error);
            Assert.Contains("minLength", error.Message, StringComparison.Ordinal);
        }

        Assert.Empty(host.Cloud.Requests);
        validator.Refuse = false;
        await Send(host, streaming);
        Assert.Equal(6, host.Local.Requests.Count); // The breaker did not open: the sixth request still went local.
        Assert.Empty(host.Cloud.Requests);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task SchemaRefusedOnlyWhenValidating_OnAHedgedRequest_TheCallerGetsIt_NotABackendException(bool streaming)
    {
        var validator = new ValidateTimeSchemaCheck();
        using var host = HybridHost.Create(
            HybridHost.DefaultJsonWith("Routing", "\"HedgeDelay\": \"00:00:02\""),
            services: s => s.AddSingleton<IJsonSchemaValidator>(validator));
        host.Local.Reply(ValidPerson, delay: TimeSpan.FromSeconds(3));
        host.Cloud!.Reply(ValidPerson, delay: TimeSpan.FromSeconds(1));

        var call = Send(host, streaming);
        for (var second = 1; second <= 4; second++)
        {
            host.Time.Advance(TimeSpan.FromSeconds(1));
            await WaitUntilAsync(() => call.IsCompleted || host.Cloud.Requests.Count == (second >= 2 ? 1 : 0));
        }

        var error = await Record.ExceptionAsync(() => call.WaitAsync(TimeSpan.FromSeconds(5)));

        Assert.IsType<InvalidJsonSchemaException>(error);
        Assert.True(error.GetRouteOutcome()!.Failed);
    }

    private static Task Send(HybridHost host, bool streaming) => streaming
        ? ToListAsync(host.Chat.GetStreamingResponseAsync(User("Extract the person."), Json()))
        : host.Chat.GetResponseAsync(User("Extract the person."), Json());

    /// <summary>Waits (in real time, for at most five seconds) for work that started on a timer of the fake clock to arrive.</summary>
    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var waited = 0; !condition() && waited < 5_000; waited += 10)
        {
            await Task.Delay(10);
        }

        Assert.True(condition(), "The condition did not hold within five seconds.");
    }

    /// <summary>A validator that checks the schema only when it validates (its <c>PrepareSchema</c> is the default, which does nothing).</summary>
    private sealed class ValidateTimeSchemaCheck : IJsonSchemaValidator
    {
        public volatile bool Refuse = true;

        public JsonSchemaValidationResult Validate(JsonElement schema, JsonElement instance) => Refuse
            ? throw new InvalidJsonSchemaException("'minLength' at '#/properties/name' must be a non-negative integer.")
            : JsonSchemaValidationResult.Valid;
    }
}
