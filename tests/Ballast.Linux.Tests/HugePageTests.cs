using Ballast.Linux.Interop;

namespace Ballast.Linux.Tests;

/// <summary>
/// Issue #14's host-side facts: what backs a file (<see cref="FileHostPages"/>), whether a process maps a shmem file
/// THP-eligible (<see cref="ThpEligibility"/>), and that <see cref="HugePageReservation"/> puts the settings back.
/// </summary>
public sealed class HugePageTests
{
    private const ulong Huge = 2UL << 20;

    [Fact]
    public void ThpEligibility_ReadsTheMappingsOfOneInode()
    {
        string[] smaps =
        [
            "7f0000000000-7f0000200000 rw-s 00000000 00:01 4242                       /memfd:guest (deleted)",
            "Size:               2048 kB",
            "THPeligible:    0",
            "7f0000400000-7f0000600000 rw-s 00200000 00:01 4242                       /memfd:guest (deleted)",
            "THPeligible:    1",
            "7f0000800000-7f0000a00000 rw-s 00000000 00:01 99                         /memfd:other (deleted)",
            "THPeligible:    1",
        ];

        Assert.True(ThpEligibility.MapsHuge(smaps, 4242));
        Assert.False(ThpEligibility.MapsHuge(smaps[..3], 4242));
        Assert.Null(ThpEligibility.MapsHuge(smaps, 7));
    }

    [Fact]
    public unsafe void AMemfdMappedWithMadvHugepage_IsThpEligibleUnderAdvise_AndOneWithoutIsNot()
    {
        using var reservation = HugePageReservation.Acquire(0, "advise");
        var fd = Libc.memfd_create("ballast-thp-probe", Libc.MFD_CLOEXEC);
        Assert.True(fd >= 0);
        try
        {
            Assert.Equal(0, Libc.ftruncate(fd, (long)(4 * Huge)));
            var probe = FileHostPages.Probe(fd);
            Assert.True(probe.Shmem);
            Assert.False(probe.Hugetlb);
            Assert.Equal(4096UL, probe.BlockSize);   // advise: the file does not say

            var map = Libc.mmap(0, (nuint)(4 * Huge), Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED, fd, 0);
            Assert.NotEqual(Libc.MAP_FAILED, map);
            try
            {
                Assert.False(ThpEligibility.MapsHuge(Environment.ProcessId, probe.Inode));
                Assert.Equal(0, Libc.madvise(map, (nuint)(4 * Huge), Libc.MADV_HUGEPAGE));
                Assert.True(ThpEligibility.MapsHuge(Environment.ProcessId, probe.Inode));
            }
            finally
            {
                _ = Libc.munmap(map, (nuint)(4 * Huge));
            }
        }
        finally
        {
            _ = Libc.close(fd);
        }
    }

    [Fact]
    public void AHugetlbMemfd_SaysHugetlbAndItsPageSize()
    {
        using var reservation = HugePageReservation.Acquire(1);
        var fd = Libc.memfd_create("ballast-hugetlb-probe", Libc.MFD_CLOEXEC | Libc.MFD_HUGETLB | Libc.MFD_HUGE_2MB);
        Assert.True(fd >= 0);
        try
        {
            var probe = FileHostPages.Probe(fd);
            Assert.True(probe.Hugetlb);
            Assert.Equal(Huge, probe.BlockSize);
        }
        finally
        {
            _ = Libc.close(fd);
        }
    }

    [Fact]
    public void Reservation_GrowsThePoolAndSetsTheMode_ThenPutsBothBack()
    {
        string Pool() => File.ReadAllText(HugePageReservation.NrHugePagesPath).Trim();
        string before, modeBefore;
        using (var outer = HugePageReservation.Acquire(0))
        {
            // Read under the lock, so no other test changes them between here and the check below.
            before = Pool();
            modeBefore = HugePageSettings.ShmemThpMode();
        }
        using (var reservation = HugePageReservation.Acquire(HugePageSettings.HugetlbFreePages() + 3, "within_size"))
        {
            Assert.True(HugePageSettings.HugetlbFreePages() >= 3);
            Assert.Equal("within_size", HugePageSettings.ShmemThpMode());
        }
        using (var after = HugePageReservation.Acquire(0))
        {
            Assert.Equal(before, Pool());
            Assert.Equal(modeBefore, HugePageSettings.ShmemThpMode());
        }
    }
}
