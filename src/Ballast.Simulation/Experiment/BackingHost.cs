using Ballast.Linux;
using Ballast.Virtio.Memory;
using Ballast.Virtio.Units;

namespace Ballast.Simulation.Experiment;

/// <summary>
/// Makes the host ready for guest RAM on a backing (issue #14: "benchmarks reserve what they need themselves, and
/// restore it"): as root, a <see cref="HugePageReservation"/> — enough free 2 MiB huge pages for a hugetlb guest,
/// THP's <c>shmem_enabled</c> set to <c>advise</c> for a THP guest when it is <c>never</c> or <c>deny</c>, and on 4 KiB
/// pages just its lock, so that no other Ballast process changes the settings or runs huge-page guests while the
/// host-wide counters of the evidence are read — which puts the settings back when disposed; as anyone else, a check
/// that the host already can (<see cref="GuestMemory.CheckBacking"/>). Whatever fails is a
/// <see cref="BenchHostException"/> naming the setting.
/// </summary>
public static class BackingHost
{
    /// <summary>Huge pages reserved beyond the guest's own: the first host page is shared by two regions, and slack.</summary>
    public const long SpareHugePages = 4;

    /// <summary>The 2 MiB huge pages a hugetlb guest of <paramref name="guestBytes"/> needs, with <see cref="SpareHugePages"/>.</summary>
    public static long HugePagesFor(ulong guestBytes) =>
        (long)((guestBytes + HugePageSettings.HugetlbPageSize - 1) / HugePageSettings.HugetlbPageSize) + SpareHugePages;

    /// <summary>
    /// Throws unless guest RAM of <paramref name="guestBytes"/> on <paramref name="backing"/> can be had: as root, unless
    /// the huge pages could not fit in the host's available memory; otherwise, unless the host is set up for it already.
    /// Changes nothing: <see cref="Reserve"/> does that.
    /// </summary>
    /// <exception cref="BenchHostException">It cannot; the message names the sysctl.</exception>
    public static void Check(BenchBacking backing, ulong guestBytes)
    {
        if (backing == BenchBacking.Pages4K)
            return;
        if (!Environment.IsPrivilegedProcess)
        {
            CheckAsIs(backing, guestBytes);
            return;
        }

        if (backing != BenchBacking.Hugetlb)
            return;
        // Growing the pool takes free memory: never ask the kernel for more than it has (it would take what it can).
        var needed = HugePagesFor(guestBytes);
        var missing = needed - HugePageSettings.HugetlbFreePages();
        var available = HostMemory.AvailableBytes();
        if (missing > 0 && available is { } bytes && missing * (long)HugePageSettings.HugetlbPageSize > bytes)
            throw new BenchHostException(
                $"a {SizeFormatter.Format((long)guestBytes)} guest on hugetlb needs {needed} free 2 MiB huge pages: vm.nr_hugepages would have to grow by "
                + $"{missing} ({SizeFormatter.Format(missing * (long)HugePageSettings.HugetlbPageSize)}) and only {SizeFormatter.Format(bytes)} is available "
                + "(MemAvailable in /proc/meminfo); use a smaller --guest-mem");
    }

    /// <summary>
    /// Sets the host up for guest RAM of <paramref name="guestBytes"/> on <paramref name="backing"/>, or checks that it
    /// is (not root). The returned reservation (root only; null otherwise) holds the settings, and the lock other Ballast
    /// processes take before changing them, until it is disposed; it blocks while another process holds that lock.
    /// </summary>
    /// <exception cref="BenchHostException">The host cannot; the message names the sysctl.</exception>
    public static IDisposable? Reserve(BenchBacking backing, ulong guestBytes)
    {
        Check(backing, guestBytes);
        if (!Environment.IsPrivilegedProcess)
            return null;

        HugePageReservation reservation;
        try
        {
            reservation = backing switch
            {
                BenchBacking.Hugetlb => HugePageReservation.Acquire(HugePagesFor(guestBytes)),
                BenchBacking.Thp => HugePageReservation.Acquire(0, HugePageSettings.ShmemThpPossible() ? null : "advise"),
                _ => HugePageReservation.Acquire(0),
            };
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException or SyscallException)
        {
            throw new BenchHostException(
                $"could not set the host up for a {SizeFormatter.Format((long)guestBytes)} guest on {BenchBackings.Name(backing)} "
                + $"({(backing == BenchBacking.Hugetlb ? "vm.nr_hugepages" : HugePageSettings.ShmemEnabledPath)}): {e.Message}", e);
        }

        try
        {
            // Under the lock: what the reservation gave is still there.
            CheckAsIs(backing, guestBytes);
            return reservation;
        }
        catch
        {
            reservation.Dispose();
            throw;
        }
    }

    private static void CheckAsIs(BenchBacking backing, ulong guestBytes)
    {
        try
        {
            GuestMemory.CheckBacking(BenchBackings.ToMemoryBacking(backing), guestBytes);
        }
        catch (InvalidOperationException e)
        {
            throw new BenchHostException(e.Message, e);
        }
    }
}
