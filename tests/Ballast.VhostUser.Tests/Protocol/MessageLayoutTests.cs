using System.Buffers.Binary;
using Ballast.VhostUser.Protocol;

namespace Ballast.VhostUser.Tests.Protocol;

/// <summary>The wire layouts pinned as numbers (vhost-user.rst "Message Specification"), and round trips.</summary>
public sealed class MessageLayoutTests
{
    [Fact]
    public void Sizes_ArePinned()
    {
        Assert.Equal(12, MessageHeader.WireSize);
        Assert.Equal(8, VringState.WireSize);
        Assert.Equal(40, VringAddress.WireSize);
        Assert.Equal(32, MemoryRegionDescription.WireSize);
        Assert.Equal(264, MemoryTable.FullSize);
        Assert.Equal(8 + 2 * 32, MemoryTable.WireSize(2));
        Assert.Equal(40, SingleMemoryRegion.WireSize);
        Assert.Equal(12, ConfigSpace.HeaderSize);
        Assert.Equal(272, VhostUserMessage.MaxPayloadSize);
        Assert.Equal(8, VhostUserMessage.MaxFds);
    }

    [Fact]
    public void Header_RoundTripsLittleEndian()
    {
        var bytes = new byte[12];
        MessageHeader.ForRequest((uint)FrontendRequest.SetMemTable, 0x48, needReply: true).Write(bytes);

        Assert.Equal([5, 0, 0, 0, 9, 0, 0, 0, 0x48, 0, 0, 0], bytes);
        var back = MessageHeader.Read(bytes);
        Assert.Equal(1u, back.Version);
        Assert.True(back.NeedsReply);
        Assert.False(back.IsReply);
    }

    [Fact]
    public void Reply_FlagsAreExactly0x5()
    {
        var reply = MessageHeader.ForReply((uint)FrontendRequest.GetFeatures, 8);

        Assert.Equal(0x5u, reply.Flags);
        Assert.True(reply.IsReply);
        Assert.False(reply.NeedsReply);
    }

    [Fact]
    public void VringAddress_FieldsAreInSpecOrder()
    {
        var bytes = new byte[VringAddress.WireSize];
        new VringAddress(2, 1, 0x1111, 0x2222, 0x3333, 0x4444).Write(bytes);

        Assert.Equal(2u, BinaryPrimitives.ReadUInt32LittleEndian(bytes));
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(4)));
        Assert.Equal(0x1111UL, BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(8)));   // descriptor
        Assert.Equal(0x2222UL, BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(16)));  // used
        Assert.Equal(0x3333UL, BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(24)));  // available
        Assert.Equal(0x4444UL, BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(32)));  // log
        Assert.Equal(new VringAddress(2, 1, 0x1111, 0x2222, 0x3333, 0x4444), VringAddress.Read(bytes));
    }

    [Fact]
    public void MemoryTable_RoundTripsAndAcceptsTheFullStruct()
    {
        MemoryRegionDescription[] regions = [new(0, 0xf0000, 0x7f00_0000_0000, 0), new(0x100000, 0x3ff00000, 0x7f00_0010_0000, 0x100000)];
        var bytes = new byte[MemoryTable.WireSize(2)];
        MemoryTable.Write(bytes, regions);

        Assert.Null(MemoryTable.TryRead(bytes, out var back));
        Assert.Equal(regions, back);
        var full = new byte[MemoryTable.FullSize];
        bytes.CopyTo(full, 0);
        Assert.Null(MemoryTable.TryRead(full, out back));
        Assert.Equal(regions, back);
    }

    [Theory]
    [InlineData(0x0UL, 0u, false)]
    [InlineData(0x2UL, 2u, false)]
    [InlineData(0x100UL, 0u, true)]
    [InlineData(0x1ffUL, 0xffu, true)]
    public void VringFile_DecodesIndexAndNoFdFlag(ulong value, uint index, bool noFd)
    {
        Assert.True(VringFile.TryDecode(value, out var file));
        Assert.Equal(new VringFile(index, noFd), file);
        Assert.Equal(value, file.Encode());
    }

    [Fact]
    public void VringFile_RejectsBitsAbove8() => Assert.False(VringFile.TryDecode(0x200, out _));

    [Fact]
    public void RequestCodes_MatchTheSpec()
    {
        Assert.Equal(1u, (uint)FrontendRequest.GetFeatures);
        Assert.Equal(5u, (uint)FrontendRequest.SetMemTable);
        Assert.Equal(11u, (uint)FrontendRequest.GetVringBase);
        Assert.Equal(18u, (uint)FrontendRequest.SetVringEnable);
        Assert.Equal(21u, (uint)FrontendRequest.SetBackendReqFd);
        Assert.Equal(24u, (uint)FrontendRequest.GetConfig);
        Assert.Equal(40u, (uint)FrontendRequest.GetStatus);
        Assert.Equal(40, Enum.GetValues<FrontendRequest>().Length);
        Assert.Equal(2u, (uint)BackendRequest.ConfigChangeMsg);
        Assert.Equal((1UL << 0) | (1UL << 3) | (1UL << 5) | (1UL << 9) | (1UL << 13), ProtocolFeatures.BackendOffered);
    }
}
