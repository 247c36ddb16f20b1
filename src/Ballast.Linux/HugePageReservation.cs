using System.Globalization;
using Ballast.Linux.Interop;

namespace Ballast.Linux;

/// <summary>
/// Root-only: holds the host's huge-page settings for a test or a benchmark and puts them back afterwards (issue #14:
/// "tests and benchmarks reserve what they need themselves, and restore it"). <see cref="Acquire"/> takes an exclusive
/// lock first (<see cref="LockPath"/>, flock, blocking), so test processes that run side by side change the settings one
/// at a time; then grows <c>vm.nr_hugepages</c> until enough 2 MiB pages are free and/or sets THP's
/// <c>shmem_enabled</c>. <see cref="Dispose"/> writes the values found back and drops the lock.
/// </summary>
public sealed class HugePageReservation : IDisposable
{
    /// <summary>The lock every user of this class takes.</summary>
    public const string LockPath = "/run/lock/ballast-hugepages.lock";

    /// <summary>The pool size sysctl (vm.nr_hugepages).</summary>
    public const string NrHugePagesPath = "/proc/sys/vm/nr_hugepages";

    private readonly int _lockFd;
    private readonly string? _nrHugePages;
    private readonly string? _shmemMode;
    private bool _disposed;

    private HugePageReservation(int lockFd, string? nrHugePages, string? shmemMode)
    {
        _lockFd = lockFd;
        _nrHugePages = nrHugePages;
        _shmemMode = shmemMode;
    }

    /// <summary>
    /// Makes at least <paramref name="freeHugePages"/> 2 MiB huge pages free (0: leave the pool alone) and, unless
    /// null, sets <c>shmem_enabled</c> to <paramref name="shmemThpMode"/>; blocks while another holder has the lock.
    /// </summary>
    /// <exception cref="InvalidOperationException">Not root, or the kernel could not find that many huge pages
    /// (memory too fragmented or too small); everything is put back before it is thrown.</exception>
    public static HugePageReservation Acquire(long freeHugePages, string? shmemThpMode = null)
    {
        if (Libc.geteuid() != 0)
            throw new InvalidOperationException("changing vm.nr_hugepages and shmem_enabled needs root");
        Directory.CreateDirectory(Path.GetDirectoryName(LockPath)!);
        var fd = Libc.open_mode(LockPath, Libc.O_RDWR | Libc.O_CREAT | Libc.O_CLOEXEC, 0x180);
        if (fd < 0)
            throw SyscallException.FromLastError($"open({LockPath})");
        while (Libc.flock(fd, Libc.LOCK_EX) != 0)
        {
            var error = SyscallException.FromLastError("flock");
            if (error.Errno != Libc.EINTR)
            {
                _ = Libc.close(fd);
                throw error;
            }
        }
        var reservation = new HugePageReservation(fd, File.ReadAllText(NrHugePagesPath).Trim(),
            shmemThpMode is null ? null : HugePageSettings.ShmemThpMode());
        try
        {
            if (shmemThpMode is not null)
                File.WriteAllText(HugePageSettings.ShmemEnabledPath, shmemThpMode);
            var free = HugePageSettings.HugetlbFreePages();
            if (freeHugePages > free)
            {
                var total = HugePageSettings.HugetlbTotalPages();
                File.WriteAllText(NrHugePagesPath, (total + freeHugePages - free).ToString(CultureInfo.InvariantCulture));
                free = HugePageSettings.HugetlbFreePages();
                if (free < freeHugePages)
                    throw new InvalidOperationException(
                        $"asked the kernel for {freeHugePages} free 2 MiB huge pages and got {free} (memory too small or too fragmented)");
            }
            return reservation;
        }
        catch
        {
            reservation.Dispose();
            throw;
        }
    }

    /// <summary>Puts the settings back and releases the lock.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        try
        {
            if (_shmemMode is not null)
                File.WriteAllText(HugePageSettings.ShmemEnabledPath, _shmemMode);
            if (_nrHugePages is not null)
                File.WriteAllText(NrHugePagesPath, _nrHugePages);
        }
        finally
        {
            _ = Libc.close(_lockFd);
        }
    }
}
