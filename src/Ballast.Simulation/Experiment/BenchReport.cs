
namespace Ballast.Simulation.Experiment;

/// <summary>
/// The result of <c>ballast bench</c>: the options it ran with, the floor, and the runs — the one
/// object <c>ballast bench --json</c> prints (property names in snake_case:
/// <see cref="GuestMemBytes"/> ↔ <c>guest_mem_bytes</c>).
/// </summary>
/// <remarks>
/// As returned by <see cref="IBenchEngine.Run"/>, <see cref="Runs"/> holds every run
/// (<see cref="BenchOptions.Repeat"/> per mode). What the command prints has been through
/// <see cref="MedianAggregator.Aggregate(BenchReport)"/>: one median run per mode.
/// </remarks>
public sealed record BenchReport
{
    /// <summary><c>guest_mem_bytes</c>: <see cref="BenchOptions.GuestMemBytes"/>.</summary>
    public required long GuestMemBytes { get; init; }

    /// <summary><c>inflate_bytes</c>: <see cref="BenchOptions.InflateBytes"/>.</summary>
    public required long InflateBytes { get; init; }

    /// <summary><c>profile</c>: <see cref="BenchOptions.Profile"/>.</summary>
    public required BenchProfile Profile { get; init; }

    /// <summary><c>clean</c>: <see cref="BenchOptions.Clean"/>.</summary>
    public required bool Clean { get; init; }

    /// <summary><c>zero_on_alloc</c>: <see cref="BenchOptions.ZeroOnAlloc"/>.</summary>
    public required bool ZeroOnAlloc { get; init; }

    /// <summary>
    /// <c>floor_ms</c>: the engine's lower bound for releasing <see cref="InflateBytes"/> on this
    /// host, in milliseconds — the line every mode is measured against.
    /// </summary>
    public required double FloorMs { get; init; }

    /// <summary><c>runs</c>: the runs, in the order the modes ran.</summary>
    public required IReadOnlyList<BenchRun> Runs { get; init; }

    /// <summary>A report with the header fields of <paramref name="options"/> and the given floor and runs.</summary>
    public static BenchReport For(BenchOptions options, double floorMs, IReadOnlyList<BenchRun> runs)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(runs);
        return new BenchReport
        {
            GuestMemBytes = options.GuestMemBytes,
            InflateBytes = options.InflateBytes,
            Profile = options.Profile,
            Clean = options.Clean,
            ZeroOnAlloc = options.ZeroOnAlloc,
            FloorMs = floorMs,
            Runs = runs,
        };
    }
}
