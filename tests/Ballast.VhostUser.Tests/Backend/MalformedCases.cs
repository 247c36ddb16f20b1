using System.Buffers.Binary;
using Ballast.Linux.Interop;
using Ballast.VhostUser.Protocol;
using Ballast.VhostUser.Tests.Support;
using static Ballast.VhostUser.Tests.Backend.MalformedCase;

namespace Ballast.VhostUser.Tests.Backend;

/// <summary>
/// Every kind of malformed message the backend must survive, from a hostile or broken front-end. Each names the
/// rule it breaks (vhost-user.rst, or VIRTIO 1.2 for rings).
/// </summary>
internal static class MalformedCases
{
    private const uint Need = RawClient.NeedReply;
    private const uint NoReply = RawClient.NoReply;

    public static IReadOnlyDictionary<string, MalformedCase> All { get; } = Build().ToDictionary(c => c.Name);

    private static IEnumerable<MalformedCase> Build()
    {
        // --- Header and framing: the stream cannot be trusted, the session ends. ---
        // "Lower 2 bits are the version (currently 0x01)"
        yield return Drop("header version 0", FrontendRequest.GetFeatures, (c, _) => c.Send(FrontendRequest.GetFeatures, 0, []));
        yield return Drop("header version 2", FrontendRequest.GetFeatures, (c, _) => c.Send(FrontendRequest.GetFeatures, 2, []));
        // "Bit 2 is the reply flag - needs to be sent on each reply from the back-end": not on a request.
        yield return Drop("reply bit on a request", FrontendRequest.GetFeatures, (c, _) => c.Send(FrontendRequest.GetFeatures, 5, []));
        yield return Drop("undefined flag bits", FrontendRequest.GetFeatures, (c, _) => c.Send(FrontendRequest.GetFeatures, 0x11, []));
        yield return Drop("payload larger than any request", FrontendRequest.SetFeatures, (c, _) => c.Send(FrontendRequest.SetFeatures, Need, new byte[4096]));
        yield return Drop("payload cut short, then the front-end closes", FrontendRequest.SetFeatures, (c, _) =>
        {
            c.Send(FrontendRequest.SetFeatures, Need, new byte[4], size: 8);
            Assert.Equal(0, Libc.shutdown(c.Socket.Fd, 1 /* SHUT_WR */));
        });
        yield return Drop("payload cut short, then silence", FrontendRequest.SetFeatures, (c, _) => c.Send(FrontendRequest.SetFeatures, Need, new byte[4], size: 8));
        yield return Drop("more descriptors than a message may carry", FrontendRequest.SetOwner, (c, x) =>
        {
            var fd = x.Pipe();
            c.Send(FrontendRequest.SetOwner, Need, [], Enumerable.Repeat(fd, 20).ToArray());
        });
        yield return Drop("unknown request without NEED_REPLY", (FrontendRequest)99, (c, _) => c.Send((FrontendRequest)99, NoReply, []));
        yield return Drop("request 0", 0, (c, _) => c.Send(0, NoReply, []));
        // A request with a reply of its own cannot carry an error status: a malformed one ends the session.
        yield return Drop("GET_FEATURES with a payload", FrontendRequest.GetFeatures, (c, _) => c.Send(FrontendRequest.GetFeatures, Need, new byte[8]));
        yield return Drop("GET_VRING_BASE of a queue that does not exist", FrontendRequest.GetVringBase,
            (c, _) => c.SendState(FrontendRequest.GetVringBase, NoReply, 7, 0));
        yield return Drop("GET_VRING_BASE with a short payload", FrontendRequest.GetVringBase, (c, _) => c.Send(FrontendRequest.GetVringBase, NoReply, new byte[4]));
        // Without NEED_REPLY a failure cannot be reported, so the front-end must not go on believing it worked.
        yield return Drop("bad size without NEED_REPLY", FrontendRequest.SetVringNum, (c, _) => c.Send(FrontendRequest.SetVringNum, NoReply, new byte[4]));
        yield return Drop("unexpected descriptor without NEED_REPLY", FrontendRequest.SetOwner, (c, x) => c.Send(FrontendRequest.SetOwner, NoReply, [], [x.Pipe()]));

        // --- Requests that fail: NEED_REPLY gets a non-zero status and the session goes on. ---
        yield return Refuse("unknown request", (FrontendRequest)99, (c, _) => c.Send((FrontendRequest)99, Need, []));
        yield return Refuse("ADD_MEM_REG without CONFIGURE_MEM_SLOTS", FrontendRequest.AddMemReg,
            (c, x) => c.Send(FrontendRequest.AddMemReg, Need, new byte[SingleMemoryRegion.WireSize], [x.Memfd()]));
        yield return Refuse("SET_FEATURES with a 4-byte payload", FrontendRequest.SetFeatures, (c, _) => c.Send(FrontendRequest.SetFeatures, Need, new byte[4]));
        yield return Refuse("SET_PROTOCOL_FEATURES with bits not offered", FrontendRequest.SetProtocolFeatures,
            (c, _) => c.SendU64(FrontendRequest.SetProtocolFeatures, Need, 1UL << ProtocolFeatures.LogShmfd));
        yield return Refuse("SET_OWNER with an unexpected descriptor", FrontendRequest.SetOwner, (c, x) => c.Send(FrontendRequest.SetOwner, Need, [], [x.Pipe()]));
        yield return Refuse("RESET_OWNER with a payload", FrontendRequest.ResetOwner, (c, _) => c.Send(FrontendRequest.ResetOwner, Need, new byte[8]));
        yield return Refuse("SET_VRING_NUM with a 12-byte payload", FrontendRequest.SetVringNum, (c, _) => c.Send(FrontendRequest.SetVringNum, Need, new byte[12]));

        // Queue indexes: the device has 3 queues.
        yield return Refuse("SET_VRING_NUM of a queue that does not exist", FrontendRequest.SetVringNum, (c, _) => c.SendState(FrontendRequest.SetVringNum, Need, 3, 128));
        yield return Refuse("SET_VRING_ENABLE of a queue that does not exist", FrontendRequest.SetVringEnable, (c, _) => c.SendState(FrontendRequest.SetVringEnable, Need, 200, 1));
        yield return Refuse("SET_VRING_KICK of a queue that does not exist", FrontendRequest.SetVringKick,
            (c, x) => c.SendU64(FrontendRequest.SetVringKick, Need, 5, [x.Pipe()]));
        yield return Refuse("SET_VRING_ADDR of a queue that does not exist", FrontendRequest.SetVringAddr,
            (c, x) => c.Send(FrontendRequest.SetVringAddr, Need, Addr(x, 9, 0, 0x1000, 0x3000, 0x2000)), Setup.Memory);

        // VIRTIO 1.2 §2.7: "Queue Size ... is always a power of 2. The maximum Queue Size value is 32768."
        yield return Refuse("queue size not a power of two", FrontendRequest.SetVringNum, (c, _) => c.SendState(FrontendRequest.SetVringNum, Need, 0, 100));
        yield return Refuse("queue size above 32768", FrontendRequest.SetVringNum, (c, _) => c.SendState(FrontendRequest.SetVringNum, Need, 0, 65536));
        yield return Refuse("queue size 0", FrontendRequest.SetVringNum, (c, _) => c.SendState(FrontendRequest.SetVringNum, Need, 0, 0));
        yield return Refuse("SET_VRING_BASE above 65535", FrontendRequest.SetVringBase, (c, _) => c.SendState(FrontendRequest.SetVringBase, Need, 0, 70000));
        yield return Refuse("SET_VRING_ENABLE with 2", FrontendRequest.SetVringEnable, (c, _) => c.SendState(FrontendRequest.SetVringEnable, Need, 0, 2));

        // "Bit 8 is the invalid FD flag. This flag is set when there is no file descriptor in the ancillary data."
        yield return Refuse("SET_VRING_KICK without a descriptor", FrontendRequest.SetVringKick, (c, _) => c.SendU64(FrontendRequest.SetVringKick, Need, 0));
        yield return Refuse("SET_VRING_CALL with the no-descriptor flag and a descriptor", FrontendRequest.SetVringCall,
            (c, x) => c.SendU64(FrontendRequest.SetVringCall, Need, 0x100, [x.Pipe()]));
        yield return Refuse("SET_VRING_KICK with two descriptors", FrontendRequest.SetVringKick,
            (c, x) => c.SendU64(FrontendRequest.SetVringKick, Need, 0, [x.Pipe(), x.Pipe()]));
        yield return Refuse("SET_VRING_KICK with a pipe instead of an eventfd", FrontendRequest.SetVringKick,
            (c, x) => c.SendU64(FrontendRequest.SetVringKick, Need, 0, [x.Pipe()]));
        yield return Refuse("SET_VRING_ERR with bits above 8", FrontendRequest.SetVringErr,
            (c, x) => c.SendU64(FrontendRequest.SetVringErr, Need, 0x200, [x.Pipe()]));
        yield return Refuse("SET_BACKEND_REQ_FD without a descriptor", FrontendRequest.SetBackendReqFd, (c, _) => c.Send(FrontendRequest.SetBackendReqFd, Need, []));
        yield return Refuse("SET_BACKEND_REQ_FD with a pipe", FrontendRequest.SetBackendReqFd, (c, x) => c.Send(FrontendRequest.SetBackendReqFd, Need, [], [x.Pipe()]));

        // SET_MEM_TABLE: "The size and ordering of the fds matches the number and ordering of memory regions."
        yield return Refuse("SET_MEM_TABLE with no regions", FrontendRequest.SetMemTable, (c, x) => c.Send(FrontendRequest.SetMemTable, Need, new byte[8]));
        yield return Refuse("SET_MEM_TABLE with 9 regions", FrontendRequest.SetMemTable, (c, x) =>
        {
            var payload = new byte[MemoryTable.FullSize];
            BinaryPrimitives.WriteUInt32LittleEndian(payload, 9);
            c.Send(FrontendRequest.SetMemTable, Need, payload, Enumerable.Range(0, 8).Select(_ => x.Memfd(1L << 20)).ToArray());
        });
        yield return Refuse("SET_MEM_TABLE whose size does not match its regions", FrontendRequest.SetMemTable, (c, x) =>
        {
            var payload = Table(new MemoryRegionDescription(0, 1 << 20, 0x7000_0000_0000, 0), new MemoryRegionDescription(1 << 20, 1 << 20, 0x7100_0000_0000, 0));
            c.Send(FrontendRequest.SetMemTable, Need, payload.AsSpan(0, MemoryTable.WireSize(1)), [x.Memfd(), x.Memfd()]);
        });
        yield return Refuse("SET_MEM_TABLE with fewer descriptors than regions", FrontendRequest.SetMemTable, (c, x) =>
            c.Send(FrontendRequest.SetMemTable, Need,
                Table(new MemoryRegionDescription(0, 1 << 20, 0x7000_0000_0000, 0), new MemoryRegionDescription(1 << 20, 1 << 20, 0x7100_0000_0000, 0)),
                [x.Memfd()]));
        yield return Refuse("SET_MEM_TABLE regions overlap in guest-physical space", FrontendRequest.SetMemTable, (c, x) =>
            c.Send(FrontendRequest.SetMemTable, Need,
                Table(new MemoryRegionDescription(0, 2 << 20, 0x7000_0000_0000, 0), new MemoryRegionDescription(1 << 20, 2 << 20, 0x7100_0000_0000, 0)),
                [x.Memfd(), x.Memfd()]));
        yield return Refuse("SET_MEM_TABLE regions overlap in the front-end's address space", FrontendRequest.SetMemTable, (c, x) =>
            c.Send(FrontendRequest.SetMemTable, Need,
                Table(new MemoryRegionDescription(0, 2 << 20, 0x7000_0000_0000, 0), new MemoryRegionDescription(4 << 20, 2 << 20, 0x7000_0010_0000, 0)),
                [x.Memfd(), x.Memfd()]));
        yield return Refuse("SET_MEM_TABLE region past the end of its file", FrontendRequest.SetMemTable, (c, x) =>
            c.Send(FrontendRequest.SetMemTable, Need, Table(new MemoryRegionDescription(0, 16 << 20, 0x7000_0000_0000, 0)), [x.Memfd(4L << 20)]));
        yield return Refuse("SET_MEM_TABLE region at an mmap offset past the end of its file", FrontendRequest.SetMemTable, (c, x) =>
            c.Send(FrontendRequest.SetMemTable, Need, Table(new MemoryRegionDescription(0, 1 << 20, 0x7000_0000_0000, 4L << 20)), [x.Memfd(4L << 20)]));
        // A file that can shrink under the mapping faults the daemon (SIGBUS) on its next access: F_SEAL_SHRINK is required.
        yield return Refuse("SET_MEM_TABLE region on an unsealed memfd", FrontendRequest.SetMemTable, (c, x) =>
            c.Send(FrontendRequest.SetMemTable, Need, Table(new MemoryRegionDescription(0, 1 << 20, 0x7000_0000_0000, 0)), [x.Memfd(seals: 0)]));
        yield return Refuse("SET_MEM_TABLE region on a memfd sealed against growing only", FrontendRequest.SetMemTable, (c, x) =>
            c.Send(FrontendRequest.SetMemTable, Need, Table(new MemoryRegionDescription(0, 1 << 20, 0x7000_0000_0000, 0)), [x.Memfd(seals: Libc.F_SEAL_GROW)]));
        yield return Refuse("SET_MEM_TABLE second region unsealed", FrontendRequest.SetMemTable, (c, x) =>
            c.Send(FrontendRequest.SetMemTable, Need,
                Table(new MemoryRegionDescription(0, 1 << 20, 0x7000_0000_0000, 0), new MemoryRegionDescription(1 << 20, 1 << 20, 0x7100_0000_0000, 0)),
                [x.Memfd(), x.Memfd(seals: 0)]));
        yield return Refuse("SET_MEM_TABLE region on a pipe", FrontendRequest.SetMemTable, (c, x) =>
            c.Send(FrontendRequest.SetMemTable, Need, Table(new MemoryRegionDescription(0, 1 << 20, 0x7000_0000_0000, 0)), [x.Pipe()]));
        yield return Refuse("SET_MEM_TABLE region size not a multiple of 4 KiB", FrontendRequest.SetMemTable, (c, x) =>
            c.Send(FrontendRequest.SetMemTable, Need, Table(new MemoryRegionDescription(0, 0x1800, 0x7000_0000_0000, 0)), [x.Memfd()]));
        yield return Refuse("SET_MEM_TABLE region wraps the guest address space", FrontendRequest.SetMemTable, (c, x) =>
            c.Send(FrontendRequest.SetMemTable, Need, Table(new MemoryRegionDescription(ulong.MaxValue - 0xfff, 0x2000, 0x7000_0000_0000, 0)), [x.Memfd()]));
        yield return Refuse("SET_MEM_TABLE region of size 0", FrontendRequest.SetMemTable, (c, x) =>
            c.Send(FrontendRequest.SetMemTable, Need, Table(new MemoryRegionDescription(0, 0, 0x7000_0000_0000, 0)), [x.Memfd()]));

        // Ring addresses are user addresses inside the memory table's regions, aligned as VIRTIO 1.2 §2.7 requires.
        yield return Refuse("SET_VRING_ADDR before any memory table", FrontendRequest.SetVringAddr,
            (c, x) => c.Send(FrontendRequest.SetVringAddr, Need, Addr(x, 0, 0x10000, 0x12000, 0x11000)));
        yield return Refuse("SET_VRING_ADDR outside the regions", FrontendRequest.SetVringAddr, (c, x) =>
        {
            var payload = new byte[VringAddress.WireSize];
            new VringAddress(0, 0, 0x10, 0x3000, 0x2000, 0).Write(payload);
            c.Send(FrontendRequest.SetVringAddr, Need, payload);
        }, Setup.Memory);
        yield return Refuse("SET_VRING_ADDR ring runs past the end of its region", FrontendRequest.SetVringAddr,
            (c, x) => c.Send(FrontendRequest.SetVringAddr, Need, Addr(x, 0, x.Memory.Regions[0].Size - 16, 0x2000, 0x1000)), Setup.MemoryAndQueueSize);
        yield return Refuse("SET_VRING_ADDR misaligned descriptor table", FrontendRequest.SetVringAddr,
            (c, x) => c.Send(FrontendRequest.SetVringAddr, Need, Addr(x, 0, 0x10008, 0x14000, 0x13000)), Setup.MemoryAndQueueSize);
        // The device writes the used ring: on the available ring, each used index it writes would offer it another
        // buffer and its drain would never end (found by fuzz/ target vhost-user).
        yield return Refuse("SET_VRING_ADDR used ring on the available ring", FrontendRequest.SetVringAddr,
            (c, x) => c.Send(FrontendRequest.SetVringAddr, Need, Addr(x, 0, 0x10000, 0x14000, 0x14000)), Setup.MemoryAndQueueSize);
        yield return Refuse("SET_VRING_ADDR with unknown flags", FrontendRequest.SetVringAddr,
            (c, x) => c.Send(FrontendRequest.SetVringAddr, Need, Addr(x, 0, 0x10000, 0x14000, 0x13000, flags: 2)), Setup.Memory);

        // Config space: 8 bytes (num_pages, actual); "payload size MUST match the front-end's request".
        yield return Refuse("SET_CONFIG beyond the config space", FrontendRequest.SetConfig, (c, _) => c.Send(FrontendRequest.SetConfig, Need, Config(4, 8, 0, 8)));
        yield return Refuse("SET_CONFIG whose size does not match its payload", FrontendRequest.SetConfig, (c, _) => c.Send(FrontendRequest.SetConfig, Need, Config(4, 8, 0, 4)));
        yield return Refuse("SET_CONFIG announcing more than 256 bytes", FrontendRequest.SetConfig, (c, _) => c.Send(FrontendRequest.SetConfig, Need, Config(0, 300, 0, 0)));
        yield return Refuse("SET_CONFIG with unknown flags", FrontendRequest.SetConfig, (c, _) => c.Send(FrontendRequest.SetConfig, Need, Config(4, 4, 7, 4)));
        yield return EmptyConfig("GET_CONFIG beyond the config space", (c, _) => c.Send(FrontendRequest.GetConfig, NoReply, Config(0, 12, 0, 12)));
        yield return EmptyConfig("GET_CONFIG of zero bytes", (c, _) => c.Send(FrontendRequest.GetConfig, NoReply, Config(0, 0, 0, 0)));
        yield return EmptyConfig("GET_CONFIG whose size does not match its payload", (c, _) => c.Send(FrontendRequest.GetConfig, NoReply, Config(0, 8, 0, 2)));
    }

    private static MalformedCase Drop(string name, FrontendRequest request, Action<RawClient, CaseContext> send) =>
        new(name, request, Setup.None, Expect.Disconnect, send);

    private static MalformedCase Refuse(string name, FrontendRequest request, Action<RawClient, CaseContext> send, Setup setup = Setup.None) =>
        new(name, request, setup, Expect.ErrorReply, send);

    private static MalformedCase EmptyConfig(string name, Action<RawClient, CaseContext> send) =>
        new(name, FrontendRequest.GetConfig, Setup.None, Expect.EmptyConfigReply, send);

    /// <summary>A vring address payload with offsets relative to the first region's mapping.</summary>
    private static byte[] Addr(CaseContext x, uint index, ulong desc, ulong used, ulong avail, uint flags = 0)
    {
        var b = (ulong)x.Memory.Regions[0].HostAddress;
        var payload = new byte[VringAddress.WireSize];
        new VringAddress(index, flags, b + desc, b + used, b + avail, 0).Write(payload);
        return payload;
    }

    private static byte[] Table(params MemoryRegionDescription[] regions)
    {
        var payload = new byte[MemoryTable.WireSize(regions.Length)];
        MemoryTable.Write(payload, regions);
        return payload;
    }

    private static byte[] Config(uint offset, uint size, uint flags, int bytes)
    {
        var payload = new byte[ConfigSpace.HeaderSize + bytes];
        new ConfigSpace(offset, size, flags).Write(payload);
        return payload;
    }
}
