using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HybridInference.TestUtilities;

/// <summary>A request the <see cref="LoopbackServer"/> received, as it arrived.</summary>
public sealed record RecordedRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}

/// <summary>
/// A real HTTP server (Kestrel) on 127.0.0.1 and a free port, for tests: it answers each request with the next
/// scripted responder (or the default one), and records every request it received. Only loopback is ever used.
/// </summary>
public sealed class LoopbackServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Func<HttpContext, Task>> _script = new();
    private const string BodyKey = "LoopbackServer.Body";
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private readonly ConcurrentQueue<RecordedRequest> _probeRequests = new();
    private int _aborted;

    private LoopbackServer(WebApplication app) => _app = app;

    /// <summary>Gets the server's root address, for example <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Gets the OpenAI-compatible base address, <see cref="BaseAddress"/> + <c>v1</c>.</summary>
    public Uri V1 => new(BaseAddress, "v1");

    /// <summary>Gets or sets the responder for requests when the script is empty; 404 when <see langword="null"/>.</summary>
    public Func<HttpContext, Task>? Default { get; set; }

    public IReadOnlyList<RecordedRequest> Requests => [.. _requests];

    /// <summary>
    /// Gets or sets a value indicating whether GET requests (health probes and the reads that go with them: <c>/health</c>,
    /// <c>/v1/models</c>, <c>/slots</c>, <c>/metrics</c>, ...) are answered apart: by <see cref="Probes"/>, never from the
    /// script, and kept in <see cref="ProbeRequests"/> instead of <see cref="Requests"/>. For tests of chat traffic
    /// through a chain whose health monitor probes the server from the moment it is built.
    /// </summary>
    public bool ProbesApart { get; set; }

    /// <summary>Gets or sets the responder for GET requests when <see cref="ProbesApart"/> is set; 404 (a reachable server without that endpoint) when <see langword="null"/>.</summary>
    public Func<HttpContext, Task>? Probes { get; set; }

    /// <summary>Gets the GET requests answered apart (<see cref="ProbesApart"/>).</summary>
    public IReadOnlyList<RecordedRequest> ProbeRequests => [.. _probeRequests];

    /// <summary>Gets or sets a value indicating whether requests are kept in <see cref="Requests"/> (off for soak runs, which would hold every body).</summary>
    public bool RecordRequests { get; set; } = true;

    /// <summary>Gets the body of the request being answered, for responders that depend on it.</summary>
    public static string BodyOf(HttpContext context) => context.Items[BodyKey] as string ?? string.Empty;

    /// <summary>Gets the number of requests whose connection the client closed before the answer was complete.</summary>
    public int ClientAborts => Volatile.Read(ref _aborted);

    public static Task<LoopbackServer> StartAsync() => StartAsync(port: 0);

    /// <summary>Starts a server on <paramref name="port"/> of 127.0.0.1 (0: any free port): the port of one disposed before, to plug a stopped server back in.</summary>
    public static Task<LoopbackServer> StartAsync(int port) => StartAsync(System.Net.IPAddress.Loopback, port);

    /// <summary>
    /// Starts a server on <paramref name="port"/> of a loopback address (Linux routes all of 127.0.0.0/8 to the loopback
    /// interface, so 127.0.0.2, 127.0.0.3, ... are servers of their own on the same port, as pods behind a Service are).
    /// </summary>
    public static async Task<LoopbackServer> StartAsync(System.Net.IPAddress host, int port)
    {
        if (!System.Net.IPAddress.IsLoopback(host))
        {
            throw new ArgumentException("Only loopback addresses are ever used.", nameof(host));
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel().UseUrls($"http://{host}:{port}");
        builder.Services.Configure<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>(o => o.AllowSynchronousIO = false);
        var app = builder.Build();
        var server = new LoopbackServer(app);
        app.Run(server.HandleAsync);
        await app.StartAsync();
        var address = app.Urls.First();
        server.BaseAddress = new Uri(address.EndsWith('/') ? address : address + "/");
        return server;
    }

    public LoopbackServer Enqueue(Func<HttpContext, Task> responder)
    {
        _script.Enqueue(responder);
        return this;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        context.RequestAborted.Register(() => Interlocked.Increment(ref _aborted));
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        context.Items[BodyKey] = body;
        var probe = ProbesApart && HttpMethods.IsGet(context.Request.Method);
        if (RecordRequests)
        {
            var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
            (probe ? _probeRequests : _requests).Enqueue(new RecordedRequest(context.Request.Method, context.Request.Path + context.Request.QueryString, headers, body));
        }

        if (probe)
        {
            await (Probes ?? (static c => { c.Response.StatusCode = 404; return Task.CompletedTask; }))(context);
            return;
        }

        var responder = _script.TryDequeue(out var next) ? next : Default;
        if (responder is null)
        {
            context.Response.StatusCode = 404;
            return;
        }

        await responder(context);
    }
}
