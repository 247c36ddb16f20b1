using System.Buffers.Binary;

namespace Ballast.VhostUser.Protocol;

/// <summary>
/// The header every vhost-user message starts with, vhost-user.rst "Message Specification" → "Header".
/// "All numbers are in the machine native byte order"; Ballast runs on little-endian hosts only and reads
/// them as little-endian.
/// <code>
///  0           4           8           12
///  +-----------+-----------+-----------+------------------------
///  |  request  |   flags   |   size    |  payload (size bytes)
///  +-----------+-----------+-----------+------------------------
///
///  flags:  31 ............ 4 |     3      |   2   |  1   0
///         +------------------+------------+-------+--------+
///         |    must be 0     | need_reply | reply | version|  version = 0x1
///         +------------------+------------+-------+--------+
/// </code>
/// </summary>
/// <param name="Request">The request code (<see cref="FrontendRequest"/> on the main socket,
/// <see cref="BackendRequest"/> on the backend-request channel).</param>
/// <param name="Flags">Version, reply and need_reply bits (<see cref="HeaderFlags"/>).</param>
/// <param name="PayloadSize">size: bytes of payload that follow the header.</param>
internal readonly record struct MessageHeader(uint Request, uint Flags, uint PayloadSize)
{
    /// <summary>Bytes of the header on the wire.</summary>
    public const int WireSize = 12;

    /// <summary>Offsets of the fields.</summary>
    public const int RequestOffset = 0, FlagsOffset = 4, SizeOffset = 8;

    /// <summary>A request header: version 1, need_reply as asked.</summary>
    public static MessageHeader ForRequest(uint request, uint payloadSize, bool needReply = false) =>
        new(request, HeaderFlags.Version1 | (needReply ? HeaderFlags.NeedReply : 0), payloadSize);

    /// <summary>A reply header: flags exactly 0x5 (version 1 | reply), as QEMU checks (anything else is EPROTO).</summary>
    public static MessageHeader ForReply(uint request, uint payloadSize) => new(request, HeaderFlags.ReplyFlags, payloadSize);

    /// <summary>The version bits (0–1).</summary>
    public uint Version => Flags & HeaderFlags.VersionMask;

    /// <summary>Bit 2: this is a reply.</summary>
    public bool IsReply => (Flags & HeaderFlags.Reply) != 0;

    /// <summary>Bit 3: the sender wants a reply (REPLY_ACK).</summary>
    public bool NeedsReply => (Flags & HeaderFlags.NeedReply) != 0;

    /// <summary>Reads a header from the first 12 bytes of <paramref name="source"/>.</summary>
    public static MessageHeader Read(ReadOnlySpan<byte> source) => new(
        BinaryPrimitives.ReadUInt32LittleEndian(source[RequestOffset..]),
        BinaryPrimitives.ReadUInt32LittleEndian(source[FlagsOffset..]),
        BinaryPrimitives.ReadUInt32LittleEndian(source[SizeOffset..]));

    /// <summary>Writes the header into the first 12 bytes of <paramref name="destination"/>.</summary>
    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination[RequestOffset..], Request);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[FlagsOffset..], Flags);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[SizeOffset..], PayloadSize);
    }
}
