using System.Runtime.InteropServices;
using Ballast.Linux.Interop;
using Ballast.Virtio.Memory;
using static Ballast.Virtio.Tests.Support.TestLayouts;

namespace Ballast.Virtio.Tests.Memory;

/// <summary>
/// Guest RAM we create is sealed as QEMU's <c>memory-backend-memfd</c> (seal=on, the default) seals it:
/// F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL, after sizing. A vhost-user back-end maps it MAP_SHARED and refuses a
/// file that could shrink under its mapping (the next access to a lost page would fault with SIGBUS).
/// </summary>
public sealed class GuestMemorySealTests
{
    private const int QemuSeals = Libc.F_SEAL_SHRINK | Libc.F_SEAL_GROW | Libc.F_SEAL_SEAL;

    [Fact]
    public void CreateMemfd_SealsEveryRegionsFileLikeQemu()
    {
        using var memory = GuestMemory.CreateMemfd(MultiRegion);

        foreach (var r in memory.Regions)
        {
            var seals = Libc.fcntl(r.Fd, Libc.F_GET_SEALS, 0);
            Assert.True(seals >= 0, $"F_GET_SEALS failed: errno {Marshal.GetLastPInvokeError()}");
            Assert.Equal(QemuSeals, seals);
        }
    }

    [Fact]
    public void CreateMemfd_FileCanNeitherShrinkNorGrow_AndStaysUsable()
    {
        using var memory = GuestMemory.CreateMemfd(4 * MiB);
        var fd = memory.Regions[0].Fd;

        var shrunk = Libc.ftruncate(fd, (long)MiB);
        var shrinkErrno = Marshal.GetLastPInvokeError();
        if (shrunk == 0)
        {
            // Grow it back before anything touches a lost page (that would be SIGBUS in the test host).
            Assert.Equal(0, Libc.ftruncate(fd, (long)(4 * MiB)));
            Assert.Fail("ftruncate shrank guest RAM under its mapping");
        }
        var grown = Libc.ftruncate(fd, (long)(8 * MiB));
        var growErrno = Marshal.GetLastPInvokeError();

        Assert.Equal((-1, Libc.EPERM), (shrunk, shrinkErrno));
        Assert.Equal((-1, Libc.EPERM), (grown, growErrno));
        memory.GetSpan(4 * MiB - 1, 1)[0] = 0x5a;
        Assert.Equal(0x5a, memory.GetSpan(4 * MiB - 1, 1)[0]);
    }

    [Fact]
    public void CreateMemfd_ReleaseStillPunchesHoles()
    {
        // Sealing against size changes leaves FALLOC_FL_PUNCH_HOLE|KEEP_SIZE alone: the balloon still frees memory.
        using var memory = GuestMemory.CreateMemfd(4 * MiB);
        memory.GetSpan(2 * MiB, (int)(64 * KiB)).Fill(0xa5);
        var before = memory.AllocatedBytes();
        var pieces = new HostRange[memory.Regions.Count];
        Assert.Equal(1, memory.Translate(2 * MiB, 64 * KiB, pieces));

        memory.Release(pieces[0]);

        Assert.Equal(ReleaseMethod.PunchHole, pieces[0].Region.ReleaseMethod);
        Assert.Equal(before - (long)(64 * KiB), memory.AllocatedBytes());
        Assert.True(memory.GetSpan(2 * MiB, (int)(64 * KiB)).IndexOfAnyExcept((byte)0) < 0);
    }
}
