using Ballast.Balloon.Device;
using Ballast.Fuzz.Support;
using Ballast.VhostUser.Protocol;
using Ballast.Virtio;
using Ballast.Virtio.Queue;
using static Ballast.VhostUser.Protocol.FrontendRequest;

namespace Ballast.Fuzz.VhostUser;

/// <summary>
/// The <c>vhost-user</c> seed corpus: sessions as QEMU runs them (handshake, memory table, rings, inflate and
/// deflate through real rings, statistics, config), and a few requests a broken front-end sends.
/// Guest RAM in the seeds is the pool's RAM memfd at guest address 0, mapped by the "front-end" at <see cref="UserBase"/>;
/// ring q lives at guest 0x10000 × (q + 1), queue size 16.
/// </summary>
internal static class VhostUserSeeds
{
    public const ulong UserBase = 0x7f00_0000_0000;
    public const int QueueSize = 16;
    private const uint Buffers = 0x10_0000;

    public static IEnumerable<(string Name, byte[] Input)> All()
    {
        yield return ("handshake-inflate-deflate", Handshake());
        yield return ("sg-ranges", Sg());
        yield return ("two-regions-per-page", TwoRegions());
        yield return ("stats-and-config-change", StatsAndConfigChange());
        yield return ("reset-and-restart", ResetAndRestart());
        yield return ("hostile-requests", Hostile());
        yield return ("used-ring-on-avail-ring", UsedOnAvail());
        yield return ("get-features", new VhostUserScript(0).Empty(GetFeatures).ToArray());
    }

    /// <summary>QEMU's start-up sequence, then one inflate and one deflate of PFN buffers, then QEMU's stop.</summary>
    public static byte[] Handshake()
    {
        const byte options = 0;
        var s = Start(options, out var queues);
        Inflate(s, ring: BalloonQueue.Inflate, slot: 0, WireBytes.PfnRun(0x200, 8), Buffers);
        Inflate(s, ring: BalloonQueue.Deflate, slot: 0, WireBytes.PfnRun(0x200, 4), Buffers + 0x1000);
        s.Config(SetConfig, 4, [4, 0, 0, 0]);
        return Stop(s, queues).ToArray();
    }

    private static byte[] Sg()
    {
        const byte options = 0x04; // SG offered (bit 23)
        var s = Start(options, out var queues);
        // Two ranges in one chain: addr/len of each descriptor is the range (the buffer contents are not read).
        Chain(s, BalloonQueue.Inflate, 0,
            new Descriptor(0x20_0000, 0x1_0000, Descriptor.FlagNext, 1), new Descriptor(0x30_0000, 0x4000, 0, 0));
        Chain(s, BalloonQueue.Deflate, 0, new Descriptor(0x20_0000, 0x8000, 0, 0));
        return Stop(s, queues).ToArray();
    }

    private static byte[] TwoRegions()
    {
        const byte options = 0x10; // per-page release
        var s = new VhostUserScript(options);
        Negotiate(s, options);
        // Low 1 MiB at guest 0 (rings and buffers), 2 MiB at guest 4 GiB from file offset 2 MiB.
        s.MemTable(true,
            (new MemoryRegionDescription(0, 0x10_0000, UserBase, 0), FdPool.Ram),
            (new MemoryRegionDescription(0x1_0000_0000, 0x20_0000, UserBase + 0x20_0000, 0x20_0000), FdPool.Ram));
        var queues = StartRings(s, options);
        Inflate(s, BalloonQueue.Inflate, 0, WireBytes.Pfns(0x10_0000, 0x10_0001, 0x10_0003, 0x10_01ff, 0xc0), 0x8_0000);
        return Stop(s, queues).ToArray();
    }

    private static byte[] StatsAndConfigChange()
    {
        const byte options = 0x01; // MUST_TELL_HOST offered
        var s = Start(options, out var queues);
        Inflate(s, BalloonQueue.Stats, 0, WireBytes.Stats((0, 1), (4, 0x1000_0000), (5, 0x4000_0000), (99, 7)), Buffers);
        s.RequestStatistics();
        Inflate(s, BalloonQueue.Stats, 1, WireBytes.Stats((4, 0x2000_0000), (6, 0x3000_0000)), Buffers + 0x100);
        s.SetTarget(1024);
        // The front-end's REPLY_ACK answer to CONFIG_CHANGE_MSG (request 2), queued before the backend asks.
        var answer = new byte[MessageHeader.WireSize + 8];
        MessageHeader.ForReply((uint)BackendRequest.ConfigChangeMsg, 8).Write(answer);
        s.ConfigChange(answer);
        s.Config(GetConfig, 0, new byte[8]);
        return Stop(s, queues).ToArray();
    }

    private static byte[] ResetAndRestart()
    {
        const byte options = 0x0b; // MUST_TELL_HOST, no stats queue, deferred release
        var s = Start(options, out var queues);
        Inflate(s, BalloonQueue.Inflate, 0, WireBytes.PfnRun(0x300, 16), Buffers);
        s.Empty(ResetDevice, needReply: true);
        s.Empty(ResetOwner);
        // A table the small memfd cannot back, then the RAM again: the rings restart on it.
        s.MemTable(true, (new MemoryRegionDescription(0, FdPool.RamBytes, UserBase, 0), FdPool.SmallFile));
        Negotiate(s, options);
        s.MemTable(true, (new MemoryRegionDescription(0, FdPool.RamBytes, UserBase, 0), FdPool.Ram));
        StartRings(s, options);
        Inflate(s, BalloonQueue.Inflate, 1, WireBytes.PfnRun(0x300, 16), Buffers);
        return Stop(s, queues).ToArray();
    }

    /// <summary>Ring 0 re-addressed with its used ring on its available ring, then kicked (the fuzzer's first hang).</summary>
    private static byte[] UsedOnAvail()
    {
        var s = Start(0, out var queues);
        var ring = RingBase(0);
        s.VringAddr(0, UserBase + ring, UserBase + ring + 0x1000, UserBase + ring + 0x1000, needReply: true);
        Inflate(s, BalloonQueue.Inflate, 0, WireBytes.PfnRun(0x200, 4), Buffers);
        return Stop(s, queues).ToArray();
    }

    private static byte[] Hostile()
    {
        var s = new VhostUserScript(0);
        s.Raw((uint)GetFeatures, 0x1, 0, []);                       // fine
        s.Raw(99, HeaderFlags.Version1 | HeaderFlags.NeedReply, 0, []); // unknown request, wants a reply
        s.U64(SetVringKick, 0, false, FdPool.Pipe);                 // a pipe is not an eventfd (ends the session)
        return s.ToArray();
    }

    // ---- building blocks ----

    private static VhostUserScript Start(byte options, out int queues)
    {
        var s = new VhostUserScript(options);
        Negotiate(s, options);
        s.MemTable(true, (new MemoryRegionDescription(0, FdPool.RamBytes, UserBase, 0), FdPool.Ram));
        queues = StartRings(s, options);
        s.Config(GetConfig, 0, new byte[8]);
        return s;
    }

    private static void Negotiate(VhostUserScript s, byte options)
    {
        var device = new BalloonDevice(VhostUserTarget.DeviceOptions(options));
        s.Empty(GetFeatures);
        s.U64(SetFeatures, device.OfferedFeatures | VirtioFeatures.Bit(ProtocolFeatures.VhostUserFeatureBit));
        s.Empty(GetProtocolFeatures);
        s.U64(SetProtocolFeatures, ProtocolFeatures.BackendOffered);
        s.Empty(GetQueueNum);
        s.Empty(SetOwner);
        s.Message(SetBackendReqFd, [], true, FdPool.Socket);
    }

    private static int StartRings(VhostUserScript s, byte options)
    {
        var queues = new BalloonDevice(VhostUserTarget.DeviceOptions(options)).QueueCount;
        for (var q = 0u; q < queues; q++)
        {
            var ring = RingBase((int)q);
            s.State(SetVringNum, q, QueueSize);
            s.VringAddr(q, UserBase + ring, UserBase + ring + 0x1000, UserBase + ring + 0x2000);
            s.State(SetVringBase, q, 0);
            s.VringFile(SetVringCall, q, FdPool.Call);
            s.VringFile(SetVringErr, q, FdPool.Err);
            s.VringFile(SetVringKick, q, FdPool.Kick);
            s.State(SetVringEnable, q, 1, needReply: true);
        }
        return queues;
    }

    private static VhostUserScript Stop(VhostUserScript s, int queues)
    {
        for (var q = 0u; q < queues; q++)
            s.State(GetVringBase, q, 0);
        return s;
    }

    private static uint RingBase(int queue) => 0x1_0000u * (uint)(queue + 1);

    /// <summary>Writes <paramref name="content"/> at <paramref name="buffer"/>, one descriptor for it in slot <paramref name="slot"/>, publishes it as avail entry <paramref name="slot"/> and kicks.</summary>
    private static void Inflate(VhostUserScript s, int ring, int slot, byte[] content, uint buffer)
    {
        s.Write(buffer, content);
        Chain(s, ring, slot, new Descriptor(buffer, (uint)content.Length, 0, 0));
    }

    /// <summary>Writes <paramref name="chain"/> into descriptor slots from <paramref name="slot"/>, publishes its head as avail entry <paramref name="slot"/> (idx = slot + 1) and kicks.</summary>
    private static void Chain(VhostUserScript s, int ring, int slot, params Descriptor[] chain)
    {
        var at = RingBase(ring);
        var table = chain.Select((d, i) => d with { Next = d.HasNext ? (ushort)(slot + i + 1) : (ushort)0 }).ToArray();
        s.Write(at + (uint)(16 * slot), WireBytes.Descriptors(table));
        s.Write(at + 0x1000 + 4 + (uint)(2 * slot), [(byte)slot, 0]);
        s.Write(at + 0x1000 + 2, [(byte)(slot + 1), 0]);
        s.Kick(ring);
    }
}
