using System.Globalization;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;
using HybridInference.Benchmarks.Http;

// `--paired-loopback [rounds] [calls]`: the loopback methods interleaved and paired round by round (see PairedLoopbackRun).
if (args is ["--paired-loopback", ..])
{
    var rounds = args.Length > 1 ? ParseCount(args[1], "rounds", 10) : 60;
    var calls = args.Length > 2 ? ParseCount(args[2], "calls", 100) : 2_000;
    return await PairedLoopbackRun.RunAsync(rounds, calls);
}

// The generated project's build gets ten minutes, not two: on a loaded 2-core VM it takes longer than the default.
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, ManualConfig.Create(DefaultConfig.Instance).WithBuildTimeout(TimeSpan.FromMinutes(10)));
return 0;

static int ParseCount(string text, string name, int minimum) =>
    int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= minimum
        ? value
        : throw new ArgumentException($"--paired-loopback: {name} must be a whole number of at least {minimum}, not '{text}'.", name);
