using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using HybridInference.Pools;

namespace HybridInference.OpenAI.Tests;

/// <summary>
/// A real DNS server for tests: Debian's dnsmasq on a free port of 127.0.0.1, answering only from a hosts file of its
/// own (no upstream, no /etc/hosts), which <see cref="SetHostsAsync"/> rewrites and a SIGHUP makes it read again.
/// Missing dnsmasq fails the test with what to install.
/// </summary>
internal sealed class Dnsmasq : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _hostsFile;

    private Dnsmasq(Process process, string hostsFile, int port)
    {
        _process = process;
        _hostsFile = hostsFile;
        Port = port;
    }

    public int Port { get; }

    /// <summary>Gets the server's address, for <see cref="DnsBackendAddressResolver"/>.</summary>
    public IPEndPoint EndPoint => new(IPAddress.Loopback, Port);

    public static Task<Dnsmasq> StartAsync(params (string Name, IPAddress Address)[] hosts) => StartAsync(hosts, []);

    /// <summary>Starts the server with <paramref name="hosts"/> and SRV records (<c>--srv-host</c>: name, target, port).</summary>
    public static async Task<Dnsmasq> StartAsync((string Name, IPAddress Address)[] hosts, (string Name, string Target, int Port)[] services)
    {
        var executable = Find() ?? throw new InvalidOperationException(
            "dnsmasq is not installed, and the discovery tests need a real DNS server: apt-get install dnsmasq-base (.ci/run installs it when missing).");
        var hostsFile = Path.Combine(Path.GetTempPath(), $"hybrid-dnsmasq-{Guid.NewGuid():N}.hosts");
        await WriteAsync(hostsFile, hosts);
        var port = FreeUdpPort();
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])[
            "--keep-in-foreground", "--no-resolv", "--no-hosts", "--conf-file=/dev/null", "--pid-file=",
            "--bind-interfaces", "--listen-address=127.0.0.1", $"--port={port}", $"--addn-hosts={hostsFile}", "--local-ttl=0"])
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, target, servicePort) in services)
        {
            start.ArgumentList.Add($"--srv-host={name},{target},{servicePort}");
        }

        if (Environment.UserName == "root")
        {
            start.ArgumentList.Add("--user=root"); // Else it drops to nobody, who may not read the hosts file again on SIGHUP.
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"{executable} did not start.");
        var server = new Dnsmasq(process, hostsFile, port);
        await server.WaitUntilAnsweringAsync(hosts.Length == 0 ? null : hosts[0].Name);
        return server;
    }

    /// <summary>Replaces the hosts the server answers for and makes it read them again (SIGHUP), waiting until it does.</summary>
    public async Task SetHostsAsync(params (string Name, IPAddress Address)[] hosts)
    {
        await WriteAsync(_hostsFile, hosts);
        using var kill = Process.Start("kill", ["-HUP", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        await kill.WaitForExitAsync();
        var resolver = new DnsBackendAddressResolver(EndPoint);
        var expected = hosts.Count(h => h.Name == hosts[0].Name);
        for (var waited = 0; waited < 30_000; waited += 100)
        {
            if ((await resolver.ResolveAsync(hosts[0].Name, BackendDiscovery.Dns, 1, CancellationToken.None)).Count == expected)
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"dnsmasq did not answer {expected} addresses for {hosts[0].Name} after SIGHUP.");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        File.Delete(_hostsFile);
    }

    private async Task WaitUntilAnsweringAsync(string? name)
    {
        var resolver = new DnsBackendAddressResolver(EndPoint);
        Exception? last = null;
        for (var waited = 0; waited < 30_000; waited += 100)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"dnsmasq exited at start ({_process.ExitCode}): {await _process.StandardError.ReadToEndAsync()}");
            }

            try
            {
                if (name is null || (await resolver.ResolveAsync(name, BackendDiscovery.Dns, 1, CancellationToken.None)).Count > 0)
                {
                    return;
                }
            }
            catch (Exception ex)
            {
                last = ex;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"dnsmasq on 127.0.0.1:{Port} did not answer within 30 s.", last);
    }

    private static async Task WriteAsync(string file, (string Name, IPAddress Address)[] hosts)
    {
        await File.WriteAllLinesAsync(file, hosts.Select(h => $"{h.Address} {h.Name}"));
        if (!OperatingSystem.IsWindows())
        {
            // Readable by whichever user dnsmasq runs as.
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }
    }

    private static string? Find()
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':').Append("/usr/sbin").Append("/sbin"))
        {
            var candidate = Path.Combine(directory, "dnsmasq");
            if (directory.Length > 0 && File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static int FreeUdpPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
