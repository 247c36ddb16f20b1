using System.Runtime.InteropServices;
using Ballast.Linux.Interop;
using Ballast.VhostUser.Protocol;
using Ballast.VhostUser.Tests.Support;

namespace Ballast.VhostUser.Tests.Backend;

/// <summary>
/// SET_MEM_TABLE maps every region MAP_SHARED from the front-end's descriptor; a front-end that then shrinks the file
/// (ftruncate) makes the daemon's next access to the lost pages fault with SIGBUS, which kills the .NET process. So
/// the daemon takes only descriptors sealed against shrinking (F_SEAL_SHRINK, as QEMU's memory-backend-memfd seals
/// them by default), unless told to trust the front-end (<see cref="VhostUserServer.AllowUnsealedMemory"/>).
/// </summary>
public sealed class MemorySealTests
{
    private const long RegionBytes = 16L << 20;

    public static TheoryData<string> UnsealedKinds => ["sealable, no seals", "sealed against growing only", "made without MFD_ALLOW_SEALING"];

    [Theory]
    [MemberData(nameof(UnsealedKinds))]
    public void SetMemTable_RefusesAMemfdNotSealedAgainstShrinking_SayingWhatIsNeeded(string kind)
    {
        using var server = new ServerHarness();
        var fd = kind switch
        {
            "sealable, no seals" => TestFds.Memfd(RegionBytes, seals: 0),
            "sealed against growing only" => TestFds.Memfd(RegionBytes, seals: Libc.F_SEAL_GROW),
            _ => TestFds.UnsealableMemfd(RegionBytes),
        };
        try
        {
            using (var client = new RawClient(server.SocketPath))
            {
                client.Send(FrontendRequest.SetMemTable, RawClient.NeedReply, Table(0, (ulong)RegionBytes), [fd]);

                Assert.NotEqual(0UL, client.ReceiveAck(FrontendRequest.SetMemTable));
                var refusal = Assert.Single(server.Logs.Entries, e => e.EventId == 111);
                Assert.Contains("region 0's descriptor is not sealed against shrinking (F_SEAL_SHRINK)", refusal.Message, StringComparison.Ordinal);
                Assert.Contains("memory-backend-memfd (seal=on, the default)", refusal.Message, StringComparison.Ordinal);
                Assert.Contains("--allow-unsealed-memory", refusal.Message, StringComparison.Ordinal);
                Assert.Equal(0UL, server.Server.GuestRamBytes);
                Assert.Equal(server.Device.OfferedFeatures | (1UL << 30), client.GetFeatures());
                TestFds.AssertOnlyOurs(TestFds.Target(fd));
            }
            server.StopAndAssertClean();
        }
        finally
        {
            TestFds.Close(fd);
        }
        Assert.DoesNotContain(server.Logs.Entries, e => e.Exception is not null);
    }

    [Fact]
    public void SetMemTable_RefusesARegularFile_ItCannotBeSealed()
    {
        // memory-backend-file on a disk file system: fcntl(F_GET_SEALS) fails with EINVAL there.
        using var server = new ServerHarness();
        var path = Path.Combine(Path.GetTempPath(), $"ballast-ram-{Guid.NewGuid():N}");
        using var file = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, FileOptions.DeleteOnClose);
        RandomAccess.SetLength(file, RegionBytes);
        using (var client = new RawClient(server.SocketPath))
        {
            client.Send(FrontendRequest.SetMemTable, RawClient.NeedReply, Table(0, (ulong)RegionBytes), [(int)file.DangerousGetHandle()]);

            Assert.NotEqual(0UL, client.ReceiveAck(FrontendRequest.SetMemTable));
            var refusal = Assert.Single(server.Logs.Entries, e => e.EventId == 111);
            Assert.Contains("region 0's descriptor is not sealed against shrinking (F_SEAL_SHRINK)", refusal.Message, StringComparison.Ordinal);
            Assert.Contains("file-backed guest RAM", refusal.Message, StringComparison.Ordinal);
            Assert.Equal(0UL, server.Server.GuestRamBytes);
        }
        server.StopAndAssertClean();
    }

    [Fact]
    public void SetMemTable_WithAllowUnsealedMemory_MapsAnUnsealedMemfd_WithAWarning()
    {
        using var server = new ServerHarness(allowUnsealedMemory: true);
        var fd = TestFds.Memfd(RegionBytes, seals: 0);
        try
        {
            using var client = new RawClient(server.SocketPath);

            client.Send(FrontendRequest.SetMemTable, RawClient.NeedReply, Table(0, (ulong)RegionBytes), [fd]);

            Assert.Equal(0UL, client.ReceiveAck(FrontendRequest.SetMemTable));
            Assert.Equal((ulong)RegionBytes, server.Server.GuestRamBytes);
            var warning = Assert.Single(server.Logs.Entries, e => e.EventId == 127);
            Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Warning, warning.Level);
            Assert.Contains("region 0's descriptor is not sealed against shrinking", warning.Message, StringComparison.Ordinal);
            Assert.Contains("--allow-unsealed-memory", warning.Message, StringComparison.Ordinal);
        }
        finally
        {
            TestFds.Close(fd);
        }
    }

    [Fact]
    public void SetMemTable_SealedMemfd_IsMappedWithoutAWarning()
    {
        using var server = new ServerHarness();
        var fd = TestFds.Memfd(RegionBytes);
        try
        {
            using var client = new RawClient(server.SocketPath);

            client.Send(FrontendRequest.SetMemTable, RawClient.NeedReply, Table(0, (ulong)RegionBytes), [fd]);

            Assert.Equal(0UL, client.ReceiveAck(FrontendRequest.SetMemTable));
            Assert.Equal((ulong)RegionBytes, server.Server.GuestRamBytes);
            Assert.DoesNotContain(server.Logs.Entries, e => e.EventId is 111 or 127);
        }
        finally
        {
            TestFds.Close(fd);
        }
    }

    [Fact]
    public void SetMemTable_NamesTheUnsealedRegion()
    {
        using var server = new ServerHarness();
        var sealedFd = TestFds.Memfd(RegionBytes);
        var unsealedFd = TestFds.Memfd(RegionBytes, seals: 0);
        try
        {
            using var client = new RawClient(server.SocketPath);
            var regions = new[]
            {
                new MemoryRegionDescription(0, 1 << 20, 0x7000_0000_0000, 0),
                new MemoryRegionDescription(1 << 20, 1 << 20, 0x7100_0000_0000, 0),
            };
            var payload = new byte[MemoryTable.WireSize(regions.Length)];
            MemoryTable.Write(payload, regions);

            client.Send(FrontendRequest.SetMemTable, RawClient.NeedReply, payload, [sealedFd, unsealedFd]);

            Assert.NotEqual(0UL, client.ReceiveAck(FrontendRequest.SetMemTable));
            var refusal = Assert.Single(server.Logs.Entries, e => e.EventId == 111);
            Assert.Contains("region 1's descriptor is not sealed", refusal.Message, StringComparison.Ordinal);
        }
        finally
        {
            TestFds.Close(sealedFd);
            TestFds.Close(unsealedFd);
        }
    }

    /// <summary>
    /// The attack itself, with guest RAM as every front-end in this repository makes it (GuestMemory.CreateMemfd,
    /// sealed like QEMU's): after SET_MEM_TABLE the front-end tries to shrink the file; the kernel refuses (EPERM),
    /// so no page under the daemon's mapping can go away, and the daemon goes on serving inflates and deflates.
    /// </summary>
    [Fact]
    public void SealedGuestRam_FrontEndCannotShrinkIt_AndTheDaemonKeepsServing()
    {
        using var h = new GuestHarness(sg: false, ramBytes: 64UL << 20, clean: false);
        Assert.Equal(256UL, h.Driver.Inflate(256));
        var fileBytes = h.Guest.Memory.Regions.Max(r => r.FdOffset + r.Size);

        foreach (var region in h.Guest.Memory.Regions)
        {
            var shrunk = Libc.ftruncate(region.Fd, (long)region.FdOffset);
            var errno = Marshal.GetLastPInvokeError();
            if (shrunk == 0)
            {
                // Never let the daemon touch the lost pages: that SIGBUS would take the test host down.
                Assert.Equal(0, Libc.ftruncate(region.Fd, (long)fileBytes));
                Assert.Fail($"the front-end shrank guest RAM under the daemon's mapping (ftruncate to 0x{region.FdOffset:x} succeeded)");
            }
            Assert.Equal(Libc.EPERM, errno);
        }

        Assert.Equal(1024UL, h.Driver.Inflate(1024));
        var ballooned = h.BalloonedNow();
        Assert.Equal(1280UL, h.Driver.Deflate(1280));
        Assert.True(h.Server.Server.IsConnected);
        Assert.Equal(1280, h.Device.Counters.PagesInflated);
        Assert.Equal(1280, h.Device.Counters.PagesDeflated);
        Assert.Equal(0, h.Device.Counters.TotalErrors);
        Assert.Equal("ok", h.Guest.CheckIntegrity(ballooned).ToString());
        Assert.DoesNotContain(h.Server.Logs.Entries, e => e.Exception is not null);
    }

    private static byte[] Table(ulong guestPhysAddr, ulong size)
    {
        var payload = new byte[MemoryTable.WireSize(1)];
        MemoryTable.Write(payload, [new MemoryRegionDescription(guestPhysAddr, size, 0x7000_0000_0000, 0)]);
        return payload;
    }
}
