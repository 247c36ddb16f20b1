using Ballast.TestKit;
using Ballast.Virtio.Memory;
using Ballast.Virtio.Queue;
using static Ballast.Virtio.Tests.Support.TestLayouts;

namespace Ballast.Virtio.Tests.Queue;

/// <summary>
/// <see cref="DeviceQueue.Validate"/> and the constructors that use it: the queue configuration comes from the
/// driver (vhost-user SET_VRING_NUM/ADDR), so every bad value is reported, never trusted.
/// </summary>
public sealed class DeviceQueueValidateTests : IDisposable
{
    private readonly GuestMemory _memory = GuestMemory.CreateMemfd(4 * MiB);

    public void Dispose() => _memory.Dispose();

    /// <summary>The three areas back to back from <paramref name="desc"/> (as the RingBuilder lays them out).</summary>
    private static RingAddresses Contiguous(ulong desc, int size)
    {
        var avail = desc + SplitRing.DescriptorTableBytes(size);
        var used = (avail + SplitRing.AvailableRingBytes(size) + 3) & ~3UL;
        return new RingAddresses(desc, avail, used);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-8)]
    [InlineData(3)]
    [InlineData(100)]
    [InlineData(65536)]
    [InlineData(int.MaxValue)]
    public void Validate_RejectsSizeNotPowerOfTwoUpTo32768(int size)
    {
        // §2.7: "Queue Size value is always a power of 2. The maximum Queue Size value is 32768."
        var addresses = Contiguous(2 * MiB, 16);

        var error = DeviceQueue.Validate(_memory, size, addresses);

        Assert.NotNull(error);
        Assert.Contains($"queue size {size}", error, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new DeviceQueue(_memory, size, addresses, 0));
        Assert.Throws<ArgumentException>(() => new DriverQueue(_memory, size, addresses, 0));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(256)]
    [InlineData(32768)]
    public void Validate_AcceptsPowersOfTwoUpTo32768(int size)
    {
        var addresses = Contiguous(2 * MiB, size);

        Assert.Null(DeviceQueue.Validate(_memory, size, addresses));

        var device = new DeviceQueue(_memory, size, addresses, 0);
        Assert.Equal(size, device.Size);
        Assert.Equal(addresses, device.Addresses);
        Assert.Same(_memory, device.Memory);
        Assert.False(device.IsBroken);
    }

    [Theory]
    [InlineData(8UL, 0UL, 0UL)]   // descriptor table 8-aligned
    [InlineData(1UL, 0UL, 0UL)]
    [InlineData(0UL, 1UL, 0UL)]   // available ring odd
    [InlineData(0UL, 0UL, 2UL)]   // used ring 2-aligned
    [InlineData(0UL, 0UL, 1UL)]
    public void Validate_RejectsMisalignedAreas(ulong descSkew, ulong availSkew, ulong usedSkew)
    {
        // §2.7.1: "The driver MUST ensure that the physical address of the first byte of each virtqueue part is a
        // multiple of the specified alignment value" (16, 2, 4).
        var a = Contiguous(2 * MiB, 16);
        var addresses = new RingAddresses(a.DescriptorTable + descSkew, a.AvailableRing + 16 + availSkew, a.UsedRing + 16 + usedSkew);

        var error = DeviceQueue.Validate(_memory, 16, addresses);

        Assert.NotNull(error);
        Assert.Contains("misaligned", error, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new DeviceQueue(_memory, 16, addresses, 0));
    }

    public static TheoryData<string, ulong, ulong, ulong> OutsideRam => new()
    {
        { "descriptor table", 4 * MiB, 2 * MiB, 2 * MiB + 0x1000 },                          // beyond the end
        { "descriptor table", 4 * MiB - 0x100, 2 * MiB, 2 * MiB + 0x1000 },                  // 256 of 4096 bytes in RAM
        { "descriptor table", GuestMemory.LowHoleStart - 0x100, 2 * MiB, 2 * MiB + 0x1000 }, // straddles the hole start
        { "descriptor table", GuestMemory.LowHoleStart, 2 * MiB, 2 * MiB + 0x1000 },         // in the hole
        { "descriptor table", GuestMemory.LowHoleEnd - 0x100, 2 * MiB, 2 * MiB + 0x1000 },   // straddles the hole end
        { "descriptor table", 0xFFFF_FFFF_FFFF_FF00, 2 * MiB, 2 * MiB + 0x1000 },           // wraps 2^64
        { "available ring", 2 * MiB, GuestMemory.LowHoleStart - 0x100, 2 * MiB + 0x1000 },
        { "available ring", 2 * MiB, 4 * MiB - 2, 2 * MiB + 0x1000 },
        { "available ring", 2 * MiB, 0xFFFF_FFFF_FFFF_FFFE, 2 * MiB + 0x1000 },
        { "used ring", 2 * MiB, 2 * MiB + 0x1000, GuestMemory.LowHoleStart - 0x100 },
        { "used ring", 2 * MiB, 2 * MiB + 0x1000, 4 * MiB - 0x800 },
        { "used ring", 2 * MiB, 2 * MiB + 0x1000, 0xFFFF_FFFF_FFFF_FFFC },
    };

    [Theory]
    [MemberData(nameof(OutsideRam))]
    public void Validate_RejectsAreaNotInsideRam(string area, ulong desc, ulong avail, ulong used)
    {
        var addresses = new RingAddresses(desc, avail, used);

        var error = DeviceQueue.Validate(_memory, 256, addresses);

        Assert.NotNull(error);
        Assert.StartsWith(area, error, StringComparison.Ordinal);
        Assert.Contains("not inside guest RAM", error, StringComparison.Ordinal);
        var e = Assert.Throws<ArgumentException>(() => new DeviceQueue(_memory, 256, addresses, 0));
        Assert.Equal("addresses", e.ParamName);
        Assert.Throws<ArgumentException>(() => new DriverQueue(_memory, 256, addresses, 0));
    }

    [Fact]
    public void Validate_RejectsAreaSpanningTwoAdjacentRegions()
    {
        // Each area must be one host mapping: the device reads it through one pointer.
        using var multi = GuestMemory.CreateMemfd(MultiRegion);
        var straddling = new RingAddresses(B - 0x800, C, C + 0x1000);

        Assert.True(multi.IsRam(B - 0x800, SplitRing.DescriptorTableBytes(256)));
        Assert.StartsWith("descriptor table", DeviceQueue.Validate(multi, 256, straddling), StringComparison.Ordinal);
        Assert.Null(DeviceQueue.Validate(multi, 256, new RingAddresses(A, E, D)));
    }

    [Fact]
    public void Constructor_StartsAtNextAvailAndReadsUsedIdxFromTheRing()
    {
        // vhost-user SET_VRING_BASE hands over the next available index; the used index lives in the ring.
        using var ring = new RingBuilder(8);
        ring.UsedIdx = 41;

        var device = ring.CreateDevice(nextAvail: 37);

        Assert.Equal(37, device.NextAvail);
        Assert.Equal(41, device.NextUsed);
    }

    [Fact]
    public void Constructor_RejectsNullMemory()
    {
        Assert.Throws<ArgumentNullException>(() => new DeviceQueue(null!, 8, default, 0));
        Assert.Throws<ArgumentNullException>(() => DeviceQueue.Validate(null!, 8, default));
        Assert.Throws<ArgumentNullException>(() => new DriverQueue(null!, 8, default, 0));
    }
}
