using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using System.Text.RegularExpressions;

namespace HybridInference.Redis.Tests;

/// <summary>
/// One process of the load program (samples/HybridInference.Replicas), started with <c>dotnet</c> from its own build
/// folder: its standard output is kept line by line, and its last line is parsed into the counts it reports.
/// </summary>
public sealed partial class ReplicaProcess : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ReplicaProcess(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    public string Name { get; }

    /// <summary>Gets every line the process wrote so far (logs and its own lines).</summary>
    public IReadOnlyList<string> Lines => [.. _lines];

    /// <summary>Starts a replica named <paramref name="name"/> with the load program's arguments.</summary>
    public static ReplicaProcess Start(string name, params string[] arguments)
    {
        var configuration = typeof(ReplicaProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var program = RepoPaths.Source(Path.Combine("samples", "HybridInference.Replicas", "bin", configuration, "net10.0", "HybridInference.Replicas.dll"));
        if (!File.Exists(program))
        {
            throw new InvalidOperationException($"The load program is not built: {program} (the test project builds it).");
        }

        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(program);
        info.ArgumentList.Add("--replica");
        info.ArgumentList.Add(name);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var replica = new ReplicaProcess(name, process);
        process.OutputDataReceived += (_, e) => { if (e.Data is { } line) { replica._lines.Enqueue(line); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { } line) { replica._lines.Enqueue("stderr: " + line); } };
        process.Exited += (_, _) => replica._exited.TrySetResult();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return replica;
    }

    /// <summary>Waits until a line containing <paramref name="text"/> was written.</summary>
    public async Task WaitForLineAsync(string text)
    {
        var waited = Stopwatch.StartNew();
        while (!_lines.Any(line => line.Contains(text, StringComparison.Ordinal)))
        {
            if (_exited.Task.IsCompleted || waited.Elapsed > Patience)
            {
                throw new TimeoutException($"{Name} wrote no line with '{text}'. Its output:\n{string.Join('\n', _lines)}");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>Tells a replica started with <c>--until-stop</c> to finish.</summary>
    public async Task StopAsync()
    {
        await _process.StandardInput.WriteLineAsync("stop");
        await _process.StandardInput.FlushAsync();
    }

    /// <summary>Waits for the process to end and returns what it reports.</summary>
    public async Task<ReplicaResult> ResultAsync()
    {
        await _exited.Task.WaitAsync(Patience);
        _process.WaitForExit(); // the output is read to its end
        var last = _lines.LastOrDefault(line => line.StartsWith("RESULT ", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"{Name} ended (exit code {_process.ExitCode}) without a result. Its output:\n{string.Join('\n', _lines)}");
        var match = ResultLine().Match(last);
        return new ReplicaResult(
            int.Parse(match.Groups["sent"].Value), int.Parse(match.Groups["cloud"].Value), int.Parse(match.Groups["local"].Value), int.Parse(match.Groups["failed"].Value));
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    [GeneratedRegex(@"sent=(?<sent>\d+) cloud=(?<cloud>\d+) local=(?<local>\d+) failed=(?<failed>\d+)")]
    private static partial Regex ResultLine();
}

/// <summary>What one replica reports: requests sent, answered by the cloud and locally, and failed.</summary>
public sealed record ReplicaResult(int Sent, int Cloud, int Local, int Failed);
