using Ballast.Balloon.Device;
using Ballast.Virtio.Memory;
using Ballast.Virtio.Units;

namespace Ballast.Simulation.Experiment;

/// <summary>
/// What <c>ballast bench</c> asks the engine to run. The command validates every value before it
/// builds an engine (<see cref="Validate"/>), so an engine may rely on:
/// <see cref="InflateBytes"/> ≤ <see cref="GuestMemBytes"/>, <see cref="GuestMemBytes"/> a multiple
/// of 4 MiB, <see cref="InflateBytes"/> a positive multiple of 4096, <see cref="Modes"/> non-empty
/// and <see cref="Repeat"/> ≥ 1.
/// </summary>
public sealed record BenchOptions
{
    /// <summary>Size of the simulated guest's RAM in bytes (<c>--guest-mem</c>, default 8 GiB).</summary>
    public required long GuestMemBytes { get; init; }

    /// <summary>How much the balloon inflates, in bytes (<c>--inflate</c>, default 7 GiB).</summary>
    public required long InflateBytes { get; init; }

    /// <summary>
    /// The modes to run, in this order (<c>--mode</c>; <c>all</c> is pfn-per-page, pfn, sg; <c>--reporting</c> adds
    /// <see cref="BenchMode.Reporting"/>, which frees <see cref="InflateBytes"/> and reports it instead of inflating).
    /// </summary>
    public required IReadOnlyList<BenchMode> Modes { get; init; }

    /// <summary>The guest memory profile (<c>--profile</c>, default idle).</summary>
    public BenchProfile Profile { get; init; } = BenchProfile.Idle;

    /// <summary><c>--clean</c>: passed through to the engine's simulated guest.</summary>
    public bool Clean { get; init; }

    /// <summary><c>--zero-on-alloc</c>: passed through to the engine's simulated guest.</summary>
    public bool ZeroOnAlloc { get; init; }

    /// <summary>
    /// How many times to run each mode (<c>--repeat</c>, default 1). The engine returns every run;
    /// the command reduces them to one median run per mode with <see cref="MedianAggregator"/>.
    /// </summary>
    public int Repeat { get; init; } = 1;

    /// <summary>How driver and device talk (<c>--transport</c>, default in-process).</summary>
    public BenchTransport Transport { get; init; } = BenchTransport.InProcess;

    /// <summary>
    /// What backs the guest's RAM (<c>--backing</c>, default 4k): every mode (and the floor) runs on each backing in
    /// turn, in this order, so one run compares them.
    /// </summary>
    public IReadOnlyList<BenchBacking> Backings { get; init; } = [BenchBacking.Pages4K];

    /// <summary>What the device releases at a time on huge-page RAM (<c>--release-granularity</c>, default host-page).</summary>
    public ReleaseGranularity Granularity { get; init; } = ReleaseGranularity.HostPage;

    /// <summary>Guest memory comes in 4 MiB blocks (the simulated guest's allocation granule).</summary>
    public const long GuestMemGranule = 4 * SizeFormatter.MiB;

    /// <summary>The smallest block the simulated guest reports (order 9: 2 MiB), the least <c>--reporting</c> can free.</summary>
    public const long ReportingBlockBytes = (long)GuestPage.Size << Guest.PageReporting.DefaultOrder;

    /// <summary>Host memory the engine needs on top of guest memory (queues, bitmaps, the runtime).</summary>
    public const long HeadroomBytes = 1L << 30;

    /// <summary>
    /// Every problem with these options, each a complete sentence naming the option; empty when they can run
    /// (the shape every options type has: <c>ServeOptions.Validate</c>, <c>GuestBenchOptions.Validate</c>).
    /// </summary>
    /// <param name="availableHostBytes">
    /// Host memory available (MemAvailable), or <see langword="null"/> if unknown — then that check is skipped.
    /// </param>
    public IReadOnlyList<string> Validate(long? availableHostBytes)
    {
        var errors = new List<string>();
        var guest = GuestMemBytes;
        var inflate = InflateBytes;

        if (guest <= 0)
            errors.Add($"--guest-mem must be greater than zero (got {guest} bytes).");
        else if (guest % GuestMemGranule != 0)
            errors.Add($"--guest-mem must be a multiple of 4 MiB (got {SizeFormatter.Format(guest)} = {guest} bytes).");

        if (inflate <= 0)
            errors.Add($"--inflate must be greater than zero (got {inflate} bytes).");
        else if (inflate % GuestPage.Size != 0)
            errors.Add($"--inflate must be a multiple of the 4096-byte page size (got {inflate} bytes).");

        if (guest > 0 && inflate > guest)
            errors.Add($"--inflate {SizeFormatter.Format(inflate)} is larger than --guest-mem {SizeFormatter.Format(guest)}: the balloon cannot take more than the guest has.");

        if (guest > 0 && availableHostBytes is { } available && guest > available - HeadroomBytes)
        {
            var needed = guest > long.MaxValue - HeadroomBytes ? long.MaxValue : guest + HeadroomBytes;
            errors.Add($"--guest-mem {SizeFormatter.Format(guest)} does not fit on this machine: the bench needs guest memory + "
                + $"{SizeFormatter.Format(HeadroomBytes)} headroom = {SizeFormatter.Format(needed)}, "
                + $"but only {SizeFormatter.Format(available)} is available (MemAvailable in /proc/meminfo).");
        }

        if (Modes.Count == 0)
            errors.Add("no mode to run: --mode must name at least one mode.");

        if (Modes.Contains(BenchMode.Reporting) && inflate > 0 && inflate < ReportingBlockBytes)
            errors.Add($"--reporting frees --inflate and the guest reports free memory in blocks of {SizeFormatter.Format(ReportingBlockBytes)}: "
                + $"--inflate must be at least {SizeFormatter.Format(ReportingBlockBytes)} (got {SizeFormatter.Format(inflate)}).");

        if (Backings.Count == 0)
            errors.Add("no backing to run on: --backing must name at least one of 4k, thp, hugetlb.");

        if (Repeat < 1)
            errors.Add($"--repeat must be at least 1 (got {Repeat}).");

        return errors;
    }
}
