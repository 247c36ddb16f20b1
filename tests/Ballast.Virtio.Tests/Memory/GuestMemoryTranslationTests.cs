using Ballast.Virtio.Memory;
using Ballast.Virtio.Tests.Support;
using static Ballast.Virtio.Tests.Support.TestLayouts;

namespace Ballast.Virtio.Tests.Memory;

/// <summary>
/// Guest-physical → host translation on <see cref="TestLayouts.MultiRegion"/>: FindRegion, IsRam, Translate,
/// TryGetHostAddress and GetSpan accept exactly the ranges that are RAM.
/// </summary>
public sealed unsafe class GuestMemoryTranslationTests(MultiRegionMemory fixture) : IClassFixture<MultiRegionMemory>
{
    private readonly GuestMemory _memory = fixture.Memory;

    public static TheoryData<ulong> NotRam =>
    [
        128 * KiB,                 // first byte of the hole after B
        C - 1,                     // last byte of that hole
        C + RegionSize,            // just past C
        4 * GiB,                   // below D
        D - 1,
        D + RegionSize,
        E - 1,                     // just below the top region
        E + RegionSize,            // EndAddress
        ulong.MaxValue,
    ];

    [Fact]
    public void FindRegion_FindsEachRegionAtBothEdges()
    {
        foreach (var r in _memory.Regions)
        {
            Assert.Same(r, _memory.FindRegion(r.GuestPhysAddr));
            Assert.Same(r, _memory.FindRegion(r.GuestPhysEnd - 1));
            Assert.Same(r, _memory.FindRegion(r.GuestPhysAddr + r.Size / 2));
        }
        Assert.Same(_memory.Regions[1], _memory.FindRegion(B)); // A's end is B's start
    }

    [Theory]
    [MemberData(nameof(NotRam))]
    public void FindRegion_ReturnsNullInHolesAndBeyondEnd(ulong gpa)
    {
        _ = _memory.FindRegion(E); // prime the last-hit cache with a far region
        Assert.Null(_memory.FindRegion(gpa));
        _ = _memory.FindRegion(A);
        Assert.Null(_memory.FindRegion(gpa));
    }

    [Theory]
    [InlineData(A, RegionSize)]
    [InlineData(A + 100, 1UL)]
    [InlineData(B - 16, 32UL)]             // crosses A|B: adjacent regions are one run of RAM
    [InlineData(A, 2 * RegionSize)]        // all of A and B
    [InlineData(D, RegionSize)]
    [InlineData(E, RegionSize)]            // up to 64 KiB below 2^64
    [InlineData(E + RegionSize - 1, 1UL)]
    public void IsRam_AcceptsRangesOfRam(ulong gpa, ulong length) => Assert.True(_memory.IsRam(gpa, length));

    [Theory]
    [InlineData(A, 0UL)]                          // length 0 is never RAM
    [InlineData(D, 0UL)]
    [InlineData(128 * KiB - 16, 32UL)]            // B into the hole
    [InlineData(A, 2 * RegionSize + 1)]           // A, B and one byte of hole
    [InlineData(C - 1, 2UL)]                      // hole into C
    [InlineData(C + RegionSize - 1, 2UL)]         // C into the hole
    [InlineData(E + RegionSize - 1, 2UL)]         // beyond the end
    [InlineData(E + RegionSize, 1UL)]
    [InlineData(E, ulong.MaxValue)]               // overflows
    [InlineData(E + 16, 0x2_0000UL - 16 + 16)]    // gpa + length == 2^64 + 16 → wraps to 16
    [InlineData(ulong.MaxValue, 1UL)]             // wraps to 0
    [InlineData(A + 16, ulong.MaxValue)]          // wraps to 15, which is RAM
    public void IsRam_RejectsHolesBeyondEndOverflowAndEmpty(ulong gpa, ulong length) => Assert.False(_memory.IsRam(gpa, length));

    [Fact]
    public void Translate_OneRegionGivesOnePieceAtFileOffset()
    {
        var pieces = new HostRange[5];
        var d = _memory.Regions[3];

        var n = _memory.Translate(D + 0x1000, 0x3000, pieces);

        Assert.Equal(1, n);
        Assert.Equal(new HostRange(d, D + 0x1000, d.HostAddress + 0x1000, 192 * KiB + 0x1000, 0x3000), pieces[0]);
    }

    [Fact]
    public void Translate_SplitsRangeAtAdjacentRegionEdge()
    {
        var pieces = new HostRange[5];
        var a = _memory.Regions[0];
        var b = _memory.Regions[1];

        var n = _memory.Translate(B - 0x1000, 0x3000, pieces);

        Assert.Equal(2, n);
        Assert.Equal(new HostRange(a, B - 0x1000, a.HostAddress + (nint)(B - 0x1000), B - 0x1000, 0x1000), pieces[0]);
        Assert.Equal(new HostRange(b, B, b.HostAddress, 64 * KiB, 0x2000), pieces[1]);
    }

    [Fact]
    public void Translate_HostAddressesAreTheGuestBytes()
    {
        var pieces = new HostRange[5];
        var n = _memory.Translate(B - 4, 8, pieces);
        Assert.Equal(2, n);

        *(uint*)pieces[0].HostAddress = 0x11223344;
        *(uint*)pieces[1].HostAddress = 0x55667788;

        Assert.Equal([0x44, 0x33, 0x22, 0x11, 0x88, 0x77, 0x66, 0x55], _memory.GetSpan(B - 4, 4).ToArray().Concat(_memory.GetSpan(B, 4).ToArray()));
    }

    [Theory]
    [InlineData(A, 0UL)]
    [InlineData(128 * KiB - 16, 32UL)]
    [InlineData(C - 1, 2UL)]
    [InlineData(E + RegionSize - 1, 2UL)]
    [InlineData(E, ulong.MaxValue)]
    [InlineData(ulong.MaxValue, 1UL)]
    public void Translate_RejectsNonRamAndWritesNothing(ulong gpa, ulong length)
    {
        var pieces = new HostRange[5];

        Assert.Equal(-1, _memory.Translate(gpa, length, pieces));

        Assert.All(pieces, p => Assert.Equal(default, p));
    }

    [Fact]
    public void Translate_ThrowsWhenSpanHasNoRoomForThePieces()
    {
        var pieces = new HostRange[1];

        Assert.Throws<ArgumentException>(() => _memory.Translate(B - 16, 32, pieces));
    }

    [Theory]
    [InlineData(A, RegionSize)]
    [InlineData(B - 16, 16UL)]
    [InlineData(D + 8, RegionSize - 8)]
    [InlineData(E + RegionSize - 16, 16UL)]
    public void TryGetHostAddress_AcceptsRangeInsideOneRegion(ulong gpa, ulong length)
    {
        var r = _memory.FindRegion(gpa)!;

        Assert.True(_memory.TryGetHostAddress(gpa, length, out var host));

        Assert.Equal(r.HostAddress + (nint)(gpa - r.GuestPhysAddr), host);
    }

    [Theory]
    [InlineData(B - 16, 32UL)]             // adjacent regions are two mappings: not one contiguous host range
    [InlineData(A, 2 * RegionSize)]
    [InlineData(128 * KiB - 16, 32UL)]
    [InlineData(128 * KiB, 16UL)]
    [InlineData(E + RegionSize - 1, 2UL)]
    [InlineData(E, ulong.MaxValue)]
    [InlineData(D + 16, ulong.MaxValue - 8)] // gpa + length wraps
    [InlineData(ulong.MaxValue, 1UL)]
    public void TryGetHostAddress_RejectsRangeNotInsideOneRegion(ulong gpa, ulong length)
    {
        Assert.False(_memory.TryGetHostAddress(gpa, length, out var host));
        Assert.Equal(0, host);
    }

    [Fact]
    public void TryGetHostAddress_ZeroLengthIsAcceptedOnlyInsideRam()
    {
        // Unlike IsRam/Translate, an empty range inside a region counts as "inside one region"; in a hole it does not.
        // Callers that must reject empty buffers (the device) check the length first.
        Assert.True(_memory.TryGetHostAddress(C + 8, 0, out _));
        Assert.False(_memory.TryGetHostAddress(C - 8, 0, out _));
    }

    [Fact]
    public void GetSpan_ThrowsOutsideOneRegion()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _memory.GetSpan(B - 1, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => _memory.GetSpan(128 * KiB, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => _memory.GetSpan(A, -1));
        Assert.Equal(16, _memory.GetSpan(E, 16).Length);
    }
}
