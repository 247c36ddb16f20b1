using Ballast.Virtio.Memory;
using Ballast.Virtio.Queue;
using static Ballast.Virtio.Tests.Support.TestLayouts;

namespace Ballast.Virtio.Tests.Queue;

/// <summary>
/// The used ring must not share memory with the available ring or the descriptor table: the device writes it, and
/// a used index written over the available index offers the device a new buffer for every buffer it returns, so a
/// drain never ends (found by the fuzz/ vhost-user target: SET_VRING_ADDR with used = avail hung the backend).
/// </summary>
public sealed class DeviceQueueOverlapTests : IDisposable
{
    private const int Size = 16;
    private readonly GuestMemory _memory = GuestMemory.CreateMemfd(4 * MiB);

    public void Dispose() => _memory.Dispose();

    [Fact]
    public void Validate_RejectsUsedRingOnTheAvailableRing()
    {
        var addresses = new RingAddresses(0x20_0000, 0x20_1000, 0x20_1000);

        var error = DeviceQueue.Validate(_memory, Size, addresses);

        Assert.NotNull(error);
        Assert.Contains("shares memory with the available ring", error, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new DeviceQueue(_memory, Size, addresses, 0));
    }

    [Fact]
    public void Validate_RejectsUsedRingOverlappingTheAvailableRingsTail()
    {
        // used_event, the last le16 of the available ring, is where the used ring starts.
        var avail = 0x20_1000UL;
        var addresses = new RingAddresses(0x20_0000, avail, avail + SplitRing.AvailableRingBytes(Size) - 2);

        Assert.Contains("shares memory with the available ring", DeviceQueue.Validate(_memory, Size, addresses), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_RejectsUsedRingOverTheDescriptorTable()
    {
        var addresses = new RingAddresses(0x20_0000, 0x20_1000, 0x20_0000 + 16 * (Size - 1));

        Assert.Contains("shares memory with the descriptor table", DeviceQueue.Validate(_memory, Size, addresses), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_RejectsUsedRingAliasingTheAvailableRingThroughAnotherRegion()
    {
        // Two regions backed by the same file offsets (a memory table may alias): different guest addresses, one memory.
        using var aliased = GuestMemory.CreateMemfd([(0, 64 * KiB, 0), (1 * MiB, 64 * KiB, 0)], "ballast-alias-test");
        var addresses = new RingAddresses(0x2000, 0x1000, 1 * MiB + 0x1000);

        Assert.Contains("shares memory with the available ring", DeviceQueue.Validate(aliased, Size, addresses), StringComparison.Ordinal);
        Assert.Null(DeviceQueue.Validate(aliased, Size, addresses with { UsedRing = 1 * MiB + 0x3000 }));
    }

    [Fact]
    public void Validate_AcceptsAreasBackToBack()
    {
        var desc = 0x20_0000UL;
        var avail = desc + SplitRing.DescriptorTableBytes(Size);
        var used = (avail + SplitRing.AvailableRingBytes(Size) + 3) & ~3UL;

        Assert.Null(DeviceQueue.Validate(_memory, Size, new RingAddresses(desc, avail, used)));
    }
}
