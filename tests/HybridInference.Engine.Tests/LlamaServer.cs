using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace HybridInference.Engine.Tests;

/// <summary>
/// One llama-server process on 127.0.0.1 at a free port, with the tiny model, <c>--offline</c>, <c>--metrics</c>,
/// <c>--slots</c>, <c>-np</c> slots sharing <c>-c</c> tokens. It is stopped by its PID (the process tree is killed);
/// <see cref="KillAsync"/> and <see cref="RestartAsync"/> stop it and start it again on the same port. Its output
/// goes to <see cref="LogPath"/> for diagnosis.
/// </summary>
internal sealed class LlamaServer : IAsyncDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private readonly string[] _arguments;
    private readonly Lock _logLock = new();
    private StreamWriter? _log;
    private Process? _process;

    private LlamaServer(int port, string[] arguments, string logPath)
    {
        Port = port;
        _arguments = arguments;
        LogPath = logPath;
    }

    /// <summary>Gets the port the server listens on, kept across restarts.</summary>
    public int Port { get; }

    /// <summary>Gets the server root, <c>http://127.0.0.1:port/</c>.</summary>
    public Uri Root => new($"http://127.0.0.1:{Port}/");

    /// <summary>Gets the OpenAI-compatible base address, root + <c>v1</c>.</summary>
    public Uri V1 => new(Root, "v1");

    /// <summary>Gets the file the server's output is written to.</summary>
    public string LogPath { get; }

    /// <summary>Gets the slots the server was started with.</summary>
    public int Slots { get; private init; }

    /// <summary>Gets the context the server was started with (all slots together).</summary>
    public int Context { get; private init; }

    /// <summary>Gets the server's output so far.</summary>
    public string Log
    {
        get
        {
            lock (_logLock)
            {
                _log?.Flush();
            }

            using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd();
        }
    }

    /// <summary>Starts a server and waits until its <c>/health</c> answers 200.</summary>
    public static async Task<LlamaServer> StartAsync(int slots = 4, int context = 8192, int threads = 1, params string[] extra)
    {
        var port = FreePort();
        string[] arguments =
        [
            "-m", Engine.ModelPath, "--host", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--offline", "--metrics", "--slots", "-np", slots.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-c", context.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-t", threads.ToString(System.Globalization.CultureInfo.InvariantCulture), "--seed", "15", .. extra,
        ];
        var folder = Path.Combine(AppContext.BaseDirectory, "engine-logs");
        Directory.CreateDirectory(folder);
        var server = new LlamaServer(port, arguments, Path.Combine(folder, $"llama-server-{port}.log")) { Slots = slots, Context = context };
        await server.StartProcessAsync();
        return server;
    }

    /// <summary>Kills the server (its whole process tree) and waits until it has exited; the port stays this server's.</summary>
    public async Task KillAsync()
    {
        if (_process is { } process)
        {
            _process = null;
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // It had already exited.
            }

            await process.WaitForExitAsync();
            process.Dispose();
        }
    }

    /// <summary>
    /// Waits until no slot is processing (what an earlier test left running, such as an answer whose client gave up,
    /// would otherwise take a slot or the cores from the next test), failing after <paramref name="timeout"/>.
    /// </summary>
    /// <param name="timeout">How long to wait; 60 s when not given.</param>
    public async Task WaitIdleAsync(TimeSpan? timeout = null)
    {
        var deadline = Stopwatch.StartNew();
        var limit = timeout ?? TimeSpan.FromSeconds(60);
        string slots;
        do
        {
            slots = await ServerPages.Http.GetStringAsync(new Uri(Root, "slots"));
            if (!slots.Contains("\"is_processing\":true", StringComparison.Ordinal))
            {
                return;
            }

            await Task.Delay(50);
        }
        while (deadline.Elapsed < limit);

        throw new TimeoutException($"llama-server on port {Port} still had a busy slot after {limit.TotalSeconds:0} s: {slots[..Math.Min(300, slots.Length)]}");
    }

    /// <summary>Starts the server again on the same port, after <see cref="KillAsync"/>, and waits until it is healthy.</summary>
    public Task RestartAsync() => StartProcessAsync();

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        lock (_logLock)
        {
            _log?.Dispose();
            _log = null;
        }
    }

    private async Task StartProcessAsync()
    {
        var info = new ProcessStartInfo(Engine.ServerPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in _arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["LD_LIBRARY_PATH"] = Path.GetDirectoryName(Engine.ServerPath);
        lock (_logLock)
        {
            _log ??= new StreamWriter(new FileStream(LogPath, FileMode.Create, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = false };
            _log.WriteLine($"# {Engine.ServerPath} {string.Join(' ', _arguments)}");
        }

        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"llama-server exited with {process.ExitCode} at start; its output:\n{Log}");
            }

            try
            {
                using var response = await Http.GetAsync(new Uri(Root, "health"));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(50);
        }

        throw new InvalidOperationException($"llama-server did not become healthy within 30 s; its output:\n{Log}");
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_logLock)
        {
            _log?.WriteLine(line);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
