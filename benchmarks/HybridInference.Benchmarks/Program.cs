using BenchmarkDotNet.Running;
using HybridInference.Benchmarks.Http;

// `--paired-loopback [rounds] [calls]`: the loopback methods interleaved and paired round by round (see PairedLoopbackRun).
if (args is ["--paired-loopback", ..])
{
    var rounds = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 60;
    var calls = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 2_000;
    return await PairedLoopbackRun.RunAsync(rounds, calls);
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
