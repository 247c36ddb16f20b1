using System.Buffers.Binary;
using Ballast.VhostUser.Protocol;
using Ballast.VhostUser.Session;

namespace Ballast.VhostUser.Tests.Session;

/// <summary>The session snapshot's encoding: version 2 carries the owed reply; version 1 (an older daemon handing over) still reads.</summary>
public sealed class SessionSnapshotTests
{
    private static SessionSnapshot Sample(OwedReply? owed) => new(0x1f, 0x1_4000_0000, [], true,
        [new RingSnapshot(256, null, 17, true, true, true, true, false)], owed);

    private static byte[] Ack()
    {
        var reply = new byte[MessageHeader.WireSize + 8];
        MessageHeader.ForReply((uint)FrontendRequest.SetConfig, 8).Write(reply);
        return reply;
    }

    [Fact]
    public void Encode_Decode_KeepsTheOwedReply()
    {
        var decoded = SessionSnapshot.Decode(Sample(new OwedReply(9, 0xfeed, Ack())).Encode(), out var error);

        Assert.Null(error);
        Assert.Equal(9ul, decoded!.Owed!.Sequence);
        Assert.Equal(0xfeedul, decoded.Owed.RequestDigest);
        Assert.Equal(Ack(), decoded.Owed.Reply);
        Assert.Equal(17, decoded.Rings[0].NextAvail);
    }

    [Fact]
    public void Decode_Version1_WithoutTheOwedReplySection_IsRead()
    {
        var bytes = Sample(null).Encode();
        var v1 = bytes.AsSpan(0, bytes.Length - (1 + 8 + 8 + 2)).ToArray();
        BinaryPrimitives.WriteUInt16LittleEndian(v1.AsSpan(4), 1);

        var decoded = SessionSnapshot.Decode(v1, out var error);

        Assert.Null(error);
        Assert.Null(decoded!.Owed);
        Assert.True(decoded.HasBackendChannel);
    }

    [Theory]
    [InlineData(2, 8)]    // a flag that is neither 0 nor 1
    [InlineData(1, 5)]    // a reply shorter than a header
    [InlineData(0, 8)]    // no reply, yet bytes for one
    public void Decode_MalformedOwedReply_IsRefused(byte flag, int replyLength)
    {
        var bytes = Sample(null).Encode();
        var owedAt = bytes.Length - (1 + 8 + 8 + 2);
        var bad = new byte[bytes.Length + replyLength];
        bytes.CopyTo(bad, 0);
        bad[owedAt] = flag;
        BinaryPrimitives.WriteUInt16LittleEndian(bad.AsSpan(owedAt + 17), (ushort)replyLength);

        Assert.Null(SessionSnapshot.Decode(bad, out var error));
        Assert.Contains("owed reply", error, StringComparison.Ordinal);
    }
}
