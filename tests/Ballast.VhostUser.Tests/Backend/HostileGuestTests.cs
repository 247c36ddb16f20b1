using System.Buffers.Binary;
using Ballast.Balloon.Device;
using Ballast.VhostUser.Protocol;
using Ballast.VhostUser.Tests.Support;
using Ballast.Virtio.Queue;

namespace Ballast.VhostUser.Tests.Backend;

/// <summary>
/// A guest that never lets the inflate ring run empty must not take the back-end's event loop from the front-end:
/// the loop gives each ring a bounded pass and serves the socket between passes.
/// </summary>
public sealed class HostileGuestTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task GuestPublishingForever_FrontendRequestsAreStillAnswered()
    {
        using var h = new GuestHarness(sg: false);
        var queue = h.Device.GetQueue(BalloonQueue.Inflate)!;
        var memory = h.Guest.Memory;
        var rings = queue.Addresses;
        var size = queue.Size;

        // One PFN buffer at the top of guest RAM naming the page below it, as descriptor 0 of the inflate ring.
        var buffer = memory.RamBytes - 4096;
        BinaryPrimitives.WriteUInt32LittleEndian(memory.GetSpan(buffer, 4), checked((uint)((buffer - 4096) >> 12)));
        var desc = memory.GetSpan(rings.DescriptorTable, Descriptor.Size);
        BinaryPrimitives.WriteUInt64LittleEndian(desc, buffer);
        BinaryPrimitives.WriteUInt32LittleEndian(desc[8..], 4);
        BinaryPrimitives.WriteUInt16LittleEndian(desc[12..], 0);

        // Every chain the device takes is published again from its own observer hook: the ring is never empty.
        var stop = 0;
        long republished = 0;
        void Publish()
        {
            var idxSpan = memory.GetSpan(rings.AvailableRing + SplitRing.AvailIdxOffset, 2);
            var idx = BinaryPrimitives.ReadUInt16LittleEndian(idxSpan);
            BinaryPrimitives.WriteUInt16LittleEndian(memory.GetSpan(rings.AvailableRing + SplitRing.AvailRingOffset + 2 * (ulong)(idx % size), 2), 0);
            Interlocked.MemoryBarrier();
            BinaryPrimitives.WriteUInt16LittleEndian(idxSpan, (ushort)(idx + 1));
        }
        h.Device.Observer = (_, _, inflate) =>
        {
            if (inflate && Volatile.Read(ref stop) == 0)
            {
                republished++;
                Publish();
            }
        };
        Publish();

        // SET_VRING_ENABLE 1 on a running ring processes it once: the flood starts inside that request.
        var enable = Task.Factory.StartNew(() => h.Frontend.SendVringState(FrontendRequest.SetVringEnable, BalloonQueue.Inflate, 1),
            TaskCreationOptions.LongRunning);
        var config = Task.Factory.StartNew(() =>
        {
            var bytes = new byte[8];
            h.Frontend.ReadConfig(0, bytes);   // GET_CONFIG: needs the event loop's answer
            var flooding = Volatile.Read(ref stop) == 0;
            Volatile.Write(ref stop, 1);
            return flooding;
        }, TaskCreationOptions.LongRunning);

        var answered = await Task.WhenAny(config, Task.Delay(s_bound)) == config;
        Volatile.Write(ref stop, 1);   // whatever happened: the guest stops, the ring drains
        await Task.WhenAll(enable, config).WaitAsync(s_bound * 2).ContinueWith(_ => { }, TaskScheduler.Default);

        Assert.True(answered, "GET_CONFIG got no answer within 10 s while the guest kept the inflate ring full");
        Assert.True(await config, "the answer came only after the guest stopped publishing");
        Assert.True(Volatile.Read(ref republished) > BalloonDevice.DefaultChainBudget);
        Wait.Until(() => h.Device.GetQueue(BalloonQueue.Inflate)?.HasAvailable() == false, "the ring did not drain once the guest stopped");
        Assert.Equal(1UL, h.Device.BalloonedPages);
    }
}
