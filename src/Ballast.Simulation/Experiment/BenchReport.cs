using System.Text.Json.Serialization;
using Ballast.Balloon.Device;

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

    /// <summary><c>runs</c>: the runs, in the order the modes ran (backing after backing).</summary>
    public required IReadOnlyList<BenchRun> Runs { get; init; }

    /// <summary><c>release_granularity</c>: <see cref="BenchOptions.Granularity"/>.</summary>
    [JsonConverter(typeof(ReleaseGranularities.NameConverter))]
    public ReleaseGranularity ReleaseGranularity { get; init; } = ReleaseGranularity.HostPage;

    /// <summary>
    /// <c>backings</c>: one entry per backing run, in that order, with its own floor (<see cref="FloorMs"/> is the
    /// first one's). Empty in a report that did not say.
    /// </summary>
    public IReadOnlyList<BenchBackingSummary> Backings { get; init; } = [];

    /// <summary>
    /// <c>warnings</c>: what makes figures doubtful, one sentence each — e.g. THP asked for and no huge pages seen.
    /// </summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>The floor of <paramref name="backing"/>: its entry in <see cref="Backings"/>, else <see cref="FloorMs"/>.</summary>
    public double FloorFor(BenchBacking backing) =>
        Backings.FirstOrDefault(b => b.Backing == backing)?.FloorMs ?? FloorMs;

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
            ReleaseGranularity = options.Granularity,
        };
    }

    /// <summary>
    /// A report with the header fields of <paramref name="options"/>, one summary per backing (the first one's floor
    /// as <see cref="FloorMs"/>), the runs and the warnings.
    /// </summary>
    public static BenchReport For(BenchOptions options, IReadOnlyList<BenchBackingSummary> backings, IReadOnlyList<BenchRun> runs,
        IReadOnlyList<string> warnings)
    {
        ArgumentNullException.ThrowIfNull(backings);
        ArgumentNullException.ThrowIfNull(warnings);
        return For(options, backings.Count > 0 ? backings[0].FloorMs : 0, runs) with { Backings = backings, Warnings = warnings };
    }
}
