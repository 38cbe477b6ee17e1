using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace HybridInference.Redis.Tests;

/// <summary>
/// A real <c>redis-server</c> (Debian's package) on a free port of 127.0.0.1, in a temporary folder, without
/// persistence (<c>--save "" --appendonly no</c>): started by the test, killed mid-test when it says, started again on
/// the same port, and stopped at the end. A machine without the binary fails the test, saying what to install.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("hybrid-redis-").FullName;
    private Process? _process;

    private RedisServer(int port) => Port = port;

    /// <summary>Gets the port it listens on.</summary>
    public int Port { get; }

    /// <summary>Gets the StackExchange.Redis configuration string of the server.</summary>
    public string Configuration => $"127.0.0.1:{Port}";

    /// <summary>Starts a server on a free port.</summary>
    public static async Task<RedisServer> StartAsync()
    {
        var server = new RedisServer(FreePort());
        await server.RestartAsync();
        return server;
    }

    /// <summary>Finds <c>redis-server</c> on the PATH.</summary>
    /// <exception cref="InvalidOperationException">It is not installed: the message says what to install.</exception>
    public static string Binary()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':').Append("/usr/bin").Append("/usr/sbin"))
        {
            var candidate = Path.Combine(dir, "redis-server");
            if (dir.Length > 0 && File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException(
            "redis-server was not found on the PATH: the Redis tests need a real server. Install Debian's package (apt-get install redis-server); .ci/run installs it when missing.");
    }

    /// <summary>Starts the server (again) on its port, and waits until it answers.</summary>
    public async Task RestartAsync()
    {
        var info = new ProcessStartInfo(Binary())
        {
            ArgumentList = { "--port", Port.ToString(), "--bind", "127.0.0.1", "--save", string.Empty, "--appendonly", "no", "--dir", _folder, "--protected-mode", "no" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        _process = Process.Start(info)!;
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = Stopwatch.StartNew();
        while (!await AnswersAsync())
        {
            if (_process.HasExited || deadline.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new InvalidOperationException($"redis-server did not start on 127.0.0.1:{Port} (exit code {(_process.HasExited ? _process.ExitCode : -1)}).");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>Kills the server at once (SIGKILL), as a crash would, and waits until it is gone.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task<bool> AnswersAsync()
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, Port);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray());
            var buffer = new byte[16];
            var read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(2));
            return read > 0 && buffer[0] == (byte)'+';
        }
        catch (Exception ex) when (ex is SocketException or IOException or TimeoutException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
