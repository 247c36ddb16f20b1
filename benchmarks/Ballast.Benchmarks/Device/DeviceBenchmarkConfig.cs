using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;

namespace Ballast.Benchmarks.Device;

/// <summary>
/// One invocation per iteration (each is a whole multi-GiB inflate on a fresh device, prepared by an
/// [IterationSetup]): one launch, one warm-up and three measured iterations. Monitoring strategy: no pilot and
/// no overhead stage, which are meaningless for invocations of milliseconds to seconds. Tiered compilation is
/// off so the hot path runs fully optimised from the first call: with so few invocations, tiering would still
/// be promoting methods during the measured iterations.
/// </summary>
public sealed class DeviceBenchmarkConfig : ManualConfig
{
    public DeviceBenchmarkConfig() => AddJob(Job.Default
        .WithStrategy(RunStrategy.Monitoring)
        .WithLaunchCount(1)
        .WithWarmupCount(1)
        .WithIterationCount(3)
        .WithInvocationCount(1)
        .WithUnrollFactor(1)
        .WithEnvironmentVariable("DOTNET_TieredCompilation", "0")
        .WithId("Device"));
}
