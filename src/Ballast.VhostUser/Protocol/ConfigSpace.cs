using System.Buffers.Binary;

namespace Ballast.VhostUser.Protocol;

/// <summary>
/// vhost-user.rst "Virtio device config space" (VhostUserConfig), the payload of GET_CONFIG (request and reply)
/// and SET_CONFIG. "vhost-user back-end's payload size MUST match the front-end's request, vhost-user back-end
/// uses zero length of payload to indicate an error."
/// <code>
///  0          4          8          12
///  +----------+----------+----------+---------------------------+
///  |  offset  |   size   |  flags   | payload (size bytes ≤ 256)|
///  +----------+----------+----------+---------------------------+
///   u32        u32        u32
///  flags: 0 = a front-end write of writable fields, 1 = live migration (VHOST_SET_CONFIG_TYPE_MIGRATION)
/// </code>
/// </summary>
internal readonly record struct ConfigSpace(uint Offset, uint Size, uint Flags)
{
    /// <summary>VHOST_USER_CONFIG_HDR_SIZE: bytes before the config bytes.</summary>
    public const int HeaderSize = 12;

    /// <summary>Offsets of the fields.</summary>
    public const int OffsetOffset = 0, SizeOffset = 4, FlagsOffset = 8, PayloadOffset = 12;

    /// <summary>VHOST_USER_MAX_CONFIG_SIZE: the most config bytes one message carries.</summary>
    public const int MaxSize = 256;

    /// <summary>Flag values.</summary>
    public const uint FlagFrontend = 0, FlagMigration = 1;

    /// <summary>Bytes of the whole payload for <paramref name="size"/> config bytes.</summary>
    public static int WireSize(int size) => HeaderSize + size;

    /// <summary>
    /// Parses the 12-byte header of a config payload and checks it against the payload length. Returns null, or
    /// why it is malformed (size above 256, a payload length that is not 12 + size, unknown flags).
    /// </summary>
    public static string? TryRead(ReadOnlySpan<byte> payload, out ConfigSpace config)
    {
        config = default;
        if (payload.Length < HeaderSize)
            return $"config payload of {payload.Length} bytes is shorter than its 12-byte header";
        config = new ConfigSpace(
            BinaryPrimitives.ReadUInt32LittleEndian(payload[OffsetOffset..]),
            BinaryPrimitives.ReadUInt32LittleEndian(payload[SizeOffset..]),
            BinaryPrimitives.ReadUInt32LittleEndian(payload[FlagsOffset..]));
        if (config.Size > MaxSize)
            return $"config access of {config.Size} bytes exceeds {MaxSize}";
        if (payload.Length != WireSize((int)config.Size))
            return $"config payload of {payload.Length} bytes does not match size {config.Size} (+12)";
        if (config.Flags > FlagMigration)
            return $"config flags 0x{config.Flags:x} are unknown";
        return null;
    }

    /// <summary>Writes the 12-byte header.</summary>
    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination[OffsetOffset..], Offset);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[SizeOffset..], Size);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[FlagsOffset..], Flags);
    }
}
