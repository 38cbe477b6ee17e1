using HybridInference.JsonSchema;
using HybridInference.Tests.Chain;
using static HybridInference.Tests.Chain.Requests;

namespace HybridInference.Tests.Routing;

/// <summary>
/// A hedged request whose local half fails with the caller's own error (an <see cref="ArgumentException"/>, such as
/// an <see cref="InvalidJsonSchemaException"/> from a validator that checks schemas only when it validates): the caller
/// gets that error, whatever the cloud half did, never a <see cref="BackendException"/> that blames a backend.
/// </summary>
public sealed class HedgingCallerErrorTests
{
    public static TheoryData<string, string, bool> CallerErrors()
    {
        var data = new TheoryData<string, string, bool>();
        foreach (var local in new[] { "invalid schema", "argument" })
        {
            foreach (var cloud in new[] { "server error", "invalid schema", "raw bug" })
            {
                data.Add(local, cloud, false);
                data.Add(local, cloud, true);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CallerErrors))]
    public async Task LocalHalfFailsWithTheCallersError_TheCallerGetsThatError_NotABackendException(string localError, string cloudError, bool streaming)
    {
        using var host = HybridHost.Create(HybridHost.DefaultJsonWith("Routing", "\"HedgeDelay\": \"00:00:02\""));
        Exception local = localError == "invalid schema"
            ? new InvalidJsonSchemaException("'minLength' at '#/properties/name' must be a non-negative integer.")
            : new ArgumentException("The request's options hold a value the caller must fix.", "options");
        host.Local.Throw(local, delay: TimeSpan.FromSeconds(3));
        host.Cloud!.Throw(cloudError switch
        {
            "server error" => new BackendException(BackendErrorKind.ServerError, "The backend 'cloud' answered 503.", 503),
            "invalid schema" => new InvalidJsonSchemaException("'type' at '#' must be a string or an array of strings."),
            _ => new InvalidOperationException("a bug in the cloud backend's client"),
        });

        Task call = streaming
            ? ToListAsync(host.Chat.GetStreamingResponseAsync(User("Summarize: the meeting moved."), new ChatOptions()))
            : host.Chat.GetResponseAsync(User("Summarize: the meeting moved."), new ChatOptions());
        host.Time.Advance(TimeSpan.FromSeconds(2));
        await WaitUntilAsync(() => host.Cloud.Requests.Count == 1);
        host.Time.Advance(TimeSpan.FromSeconds(1));
        var error = await Record.ExceptionAsync(() => call.WaitAsync(TimeSpan.FromSeconds(5)));

        Assert.Same(local, error);
        Assert.True(error.GetRouteOutcome()!.Failed);
    }

    /// <summary>Waits (in real time, for at most five seconds) for work that started on a timer of the fake clock to arrive.</summary>
    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var waited = 0; !condition() && waited < 5_000; waited += 10)
        {
            await Task.Delay(10);
        }

        Assert.True(condition(), "The condition did not hold within five seconds.");
    }
}
