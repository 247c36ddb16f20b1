using Ballast.GuestLab;
using Ballast.Virtio.Memory;
using Ballast.Virtio.Units;

namespace Ballast.GuestBench;

/// <summary>What <c>ballast guest-bench</c> runs.</summary>
public sealed record GuestBenchOptions
{
    /// <summary>Default <c>--guest-mem</c>: 2 GiB.</summary>
    public const long DefaultGuestMemBytes = 2L << 30;

    /// <summary>Default <c>--inflate</c>: 1536 MiB.</summary>
    public const long DefaultInflateBytes = 1536L << 20;

    /// <summary>Default <c>--dirty</c>: 1600 MiB.</summary>
    public const long DefaultDirtyBytes = 1600L << 20;

    /// <summary>Default <c>--hog</c> (with <c>--reporting</c>): 1 GiB.</summary>
    public const long DefaultHogBytes = 1L << 30;

    /// <summary>The smallest guest that boots the initramfs and leaves room for a balloon.</summary>
    public const long MinGuestMemBytes = 256L << 20;

    private const long MiB = 1 << 20;

    /// <summary>Guest RAM (and memfd size).</summary>
    public long GuestMemBytes { get; init; } = DefaultGuestMemBytes;

    /// <summary>How much the balloon takes: the Ballast target, or guest RAM minus QEMU's <c>balloon</c> value.</summary>
    public long InflateBytes { get; init; } = DefaultInflateBytes;

    /// <summary>Guest memory written and freed at boot (<c>ballast.dirty</c>), so the inflate has host memory to give back.</summary>
    public long DirtyBytes { get; init; } = DefaultDirtyBytes;

    /// <summary>The devices of one repeat, in order (<see cref="GuestBenchDevices.Select"/>).</summary>
    public IReadOnlyList<GuestBenchDevice> Devices { get; init; } = GuestBenchDevices.Both;

    /// <summary>
    /// The guest drivers each device runs with, in order (<see cref="GuestBenchDrivers.Select"/>); QEMU's device only
    /// with the stock driver (with both devices and SG drivers, QEMU's runs the stock one only).
    /// </summary>
    public IReadOnlyList<GuestBenchDriver> Drivers { get; init; } = [GuestBenchDriver.Stock];

    /// <summary>
    /// What backs guest RAM, in the order each repeat runs them (<see cref="GuestRamBackings.Select"/>): every device
    /// and driver runs on each.
    /// </summary>
    public IReadOnlyList<MemoryBacking> Backings { get; init; } = [MemoryBacking.Pages4K];

    /// <summary>The values <see cref="ReleaseGranularity"/> takes (<c>ballast serve --release-granularity</c>).</summary>
    public static IReadOnlyList<string> ReleaseGranularities { get; } = ["host-page", "4k"];

    /// <summary>
    /// Ballast's daemon's <c>--release-granularity</c>: <c>host-page</c> (a huge page is released once all its 4 KiB
    /// frames are ballooned) or <c>4k</c> (every frame at once; splits transparent huge pages); null for the daemon's
    /// default (host-page). hugetlb always releases whole pages.
    /// </summary>
    public string? ReleaseGranularity { get; init; }

    /// <summary>
    /// Ballast's daemon runs with <c>--defer-release</c> (and offers must-tell-host, which that needs): inflate
    /// buffers come back before the host memory is released, and <see cref="GuestBenchRun.ReleaseMs"/> says when it was.
    /// </summary>
    public bool DeferRelease { get; init; }

    /// <summary>
    /// <c>--reporting</c>: time free page reporting instead of an inflate (<see cref="GuestBenchRunner"/>'s reporting runs):
    /// both devices offer PAGE_REPORTING, a hog of <see cref="HogBytes"/> starts and is let go (<c>unhog</c>), and the
    /// host memory behind guest RAM is read until it settles. No balloon target; <see cref="InflateBytes"/> and
    /// <see cref="DirtyBytes"/> are not used.
    /// </summary>
    public bool Reporting { get; init; }

    /// <summary>The hog's size with <see cref="Reporting"/> (a whole number of MiB).</summary>
    public long HogBytes { get; init; } = DefaultHogBytes;

    /// <summary>How many times each device runs; the devices alternate within every repeat.</summary>
    public int Repeat { get; init; } = 1;

    /// <summary>
    /// How often <c>actual</c> is asked for while an inflate or deflate runs (both devices alike). 20 ms: polled
    /// every 5 ms, answering GET /balloon (Kestrel, then thread-pool workers spinning for more work) took enough of
    /// a 2-core machine to slow Ballast's inflate by about 13%, while QMP at 5 ms made no measurable difference to
    /// QEMU. At 20 ms a measurement overshoots by at most one interval, about 1% of an inflate.
    /// </summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Longest boot (to <c>BALLAST ready</c>, dirtying included).</summary>
    public TimeSpan BootTimeout { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>Longest inflate or deflate.</summary>
    public TimeSpan BalloonTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Everything wrong with these options, for people; empty if they can run.</summary>
    /// <param name="availableHostBytes">Host MemAvailable, or null if unknown.</param>
    public IReadOnlyList<string> Validate(long? availableHostBytes)
    {
        var errors = new List<string>();
        if (GuestMemBytes < MinGuestMemBytes || GuestMemBytes % MiB != 0)
            errors.Add($"--guest-mem must be a whole number of MiB, at least {SizeFormatter.Format(MinGuestMemBytes)} (got {SizeFormatter.Format(GuestMemBytes)})");
        if (InflateBytes <= 0 || InflateBytes % 4096 != 0)
            errors.Add($"--inflate must be a positive multiple of 4 KiB (got {InflateBytes} bytes)");
        else if (InflateBytes >= GuestMemBytes)
            errors.Add($"--inflate {SizeFormatter.Format(InflateBytes)} must be less than --guest-mem {SizeFormatter.Format(GuestMemBytes)}");
        if (DirtyBytes < 0 || DirtyBytes % MiB != 0)
            errors.Add($"--dirty must be a whole number of MiB, or 0 (got {DirtyBytes} bytes)");
        else if (DirtyBytes >= GuestMemBytes)
            errors.Add($"--dirty {SizeFormatter.Format(DirtyBytes)} must be less than --guest-mem {SizeFormatter.Format(GuestMemBytes)}");
        if (Reporting && (HogBytes <= 0 || HogBytes % MiB != 0))
            errors.Add($"--hog must be a positive whole number of MiB (got {HogBytes} bytes)");
        else if (Reporting && HogBytes > GuestMemBytes - MinGuestMemBytes)
            errors.Add($"--hog {SizeFormatter.Format(HogBytes)} must leave at least {SizeFormatter.Format(MinGuestMemBytes)} of --guest-mem {SizeFormatter.Format(GuestMemBytes)} to the guest");
        if (Repeat < 1)
            errors.Add($"--repeat must be at least 1 (got {Repeat})");
        if (Devices.Count == 0)
            errors.Add("no device to run");
        if (Drivers.Count == 0)
            errors.Add("no driver to run");
        if (Backings.Count == 0)
            errors.Add("no backing to run on");
        if (ReleaseGranularity is not null && !ReleaseGranularities.Contains(ReleaseGranularity))
            errors.Add($"--release-granularity must be one of {string.Join(", ", ReleaseGranularities)} (got '{ReleaseGranularity}')");
        var sgDrivers = Drivers.Where(GuestBenchDrivers.UsesSg).ToList();
        // With both devices, QEMU's runs the stock driver and Ballast's every driver; alone, or without the stock
        // driver to run, QEMU's device has nothing it can run an SG driver with.
        if (Devices.Contains(GuestBenchDevice.Qemu) && sgDrivers.Count > 0
            && (!Devices.Contains(GuestBenchDevice.Ballast) || !Drivers.Contains(GuestBenchDriver.Stock)))
        {
            errors.Add($"--device {GuestBenchDevices.Name(GuestBenchDevice.Qemu)} supports only --driver {GuestBenchDrivers.Name(GuestBenchDriver.Stock)} "
                + $"(QEMU's balloon has no SG); {string.Join(", ", sgDrivers.Select(GuestBenchDrivers.Name))} needs --device {GuestBenchDevices.Name(GuestBenchDevice.Ballast)}");
        }
        if (availableHostBytes is { } available && GuestMemBytes > available)
            errors.Add($"--guest-mem {SizeFormatter.Format(GuestMemBytes)} is more than the host has available ({SizeFormatter.Format(available)})");
        return errors;
    }
}
