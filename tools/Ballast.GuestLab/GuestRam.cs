using System.Diagnostics;
using System.Globalization;
using Ballast.Linux;
using Ballast.Virtio.Memory;

namespace Ballast.GuestLab;

/// <summary>
/// The host side of one guest's RAM for the lifetime of its QEMU (<see cref="QemuGuest"/> prepares it before QEMU
/// starts and disposes it after QEMU is gone): on hugetlb a <see cref="HugePageReservation"/> of the whole guest's
/// 2 MiB pages plus <see cref="HugetlbMarginPages"/>; on THP a reservation that only holds the settings lock (and
/// leaves <c>shmem_enabled</c> alone unless it is <c>deny</c>, which would refuse huge pages to every mount) and a
/// tmpfs mounted <c>huge=always</c> in the run directory for the RAM file (see <see cref="GuestRamBackings"/>).
/// Disposing unmounts (lazily: the daemon may still map the file; the memory goes with the last mapping) and puts the
/// huge-page settings back.
/// </summary>
/// <remarks>
/// The reservation takes <see cref="HugePageReservation.LockPath"/> (flock) for as long as the guest runs, so huge-page
/// guests and benchmarks of other processes wait for each other, and one process must not start a second huge-page
/// guest while it holds the first (flock locks per open file: it would wait for itself).
/// </remarks>
public sealed class GuestRam : IDisposable
{
    /// <summary>Huge pages reserved beyond the guest's RAM.</summary>
    public const long HugetlbMarginPages = 16;

    /// <summary>The tmpfs mount point in the run directory (<see cref="MemoryBacking.Thp"/>).</summary>
    public const string MountName = "ram";

    /// <summary>The RAM file on that tmpfs.</summary>
    public const string FileName = "guest-ram";

    /// <summary>The tmpfs's name in /proc/mounts.</summary>
    public const string MountSource = "ballast-guest-ram";

    private readonly HugePageReservation? _reservation;
    private string? _mountPath;

    private GuestRam(MemoryBacking backing, string linkPrefix, HugePageReservation? reservation, string? mountPath)
    {
        Backing = backing;
        LinkPrefix = linkPrefix;
        _reservation = reservation;
        _mountPath = mountPath;
    }

    /// <summary>What backs the guest's RAM.</summary>
    public MemoryBacking Backing { get; }

    /// <summary>What the <c>/proc/&lt;qemu&gt;/fd</c> link of the guest's RAM starts with (see <see cref="GuestRamFile"/>).</summary>
    public string LinkPrefix { get; }

    /// <summary>The path of the RAM file inside the chroot (<see cref="MemoryBacking.Thp"/>; the name it would have otherwise).</summary>
    public static string FileInRoot(GuestRunDirectory directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        return directory.InRootFile(MountName) + "/" + FileName;
    }

    /// <summary>
    /// Gets the host ready for a guest of <paramref name="options"/> in <paramref name="directory"/>: reserves huge pages
    /// or mounts the THP tmpfs. Blocks while another holder has the huge-page lock.
    /// </summary>
    /// <exception cref="InvalidOperationException">Not root, not enough huge pages, or the mount failed (nothing is left changed).</exception>
    public static GuestRam Prepare(GuestRunDirectory directory, QemuGuestOptions options)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(options);
        switch (options.Backing)
        {
            case MemoryBacking.Pages4K:
                return new GuestRam(options.Backing, GuestRamFile.MemfdLinkPrefix, null, null);
            case MemoryBacking.Hugetlb:
                return new GuestRam(options.Backing, GuestRamFile.MemfdLinkPrefix,
                    HugePageReservation.Acquire(GuestRamBackings.HugetlbPagesFor(options.MemoryBytes)), null);
            case MemoryBacking.Thp:
                var reservation = HugePageReservation.Acquire(0, HugePageSettings.ShmemThpMode() == "deny" ? "advise" : null);
                try
                {
                    var mount = directory.HostFile(MountName);
                    Directory.CreateDirectory(mount);
                    // huge=always rounds the file up to whole huge pages: a little more than the guest's RAM.
                    Run("mount", "-t", "tmpfs", "-o",
                        string.Create(CultureInfo.InvariantCulture, $"size={options.MemoryBytes + 2 * GuestRamBackings.HugePageBytes},huge=always,mode=0700"),
                        MountSource, mount);
                    return new GuestRam(options.Backing, Path.Combine(mount, FileName), reservation, mount);
                }
                catch
                {
                    reservation.Dispose();
                    throw;
                }
            default:
                throw new ArgumentOutOfRangeException(nameof(options), options.Backing, "unknown memory backing");
        }
    }

    /// <summary>Unmounts the THP tmpfs (lazily) and puts the huge-page settings back.</summary>
    public void Dispose()
    {
        try
        {
            if (_mountPath is { } mount)
            {
                _mountPath = null;
                Run("umount", "--lazy", mount);
            }
        }
        finally
        {
            _reservation?.Dispose();
        }
    }

    private static void Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start");
        var stderr = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            process.Kill();
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} did not finish in 30 s");
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed ({process.ExitCode}): {stderr.Result.Trim()}");
    }
}
