using System.Buffers.Binary;
using Ballast.VhostUser.Protocol;

namespace Ballast.VhostUser.Session;

/// <summary>One ring as the front-end configured it (vhost-user.rst "Ring states"), for a resumed session.</summary>
/// <param name="Size">SET_VRING_NUM; 0 if not set.</param>
/// <param name="Address">SET_VRING_ADDR, or null.</param>
/// <param name="NextAvail">Where a stopped ring resumes (SET_VRING_BASE / GET_VRING_BASE); a running ring resumes at
/// its used index instead, read from guest memory.</param>
/// <param name="Enabled">SET_VRING_ENABLE.</param>
/// <param name="Running">True if the ring was started (its queue attached to the device).</param>
/// <param name="HasKick">A kick eventfd is kept for it.</param>
/// <param name="HasCall">A call eventfd is kept for it.</param>
/// <param name="HasErr">An error eventfd is kept for it.</param>
internal readonly record struct RingSnapshot(int Size, VringAddress? Address, ushort NextAvail, bool Enabled, bool Running,
    bool HasKick, bool HasCall, bool HasErr);

/// <summary>
/// What a vhost-user session's front-end told the back-end, apart from the descriptors (kept by name, see
/// <see cref="SessionNames"/>): enough for a new process to carry on the session where a killed one stopped.
/// Encoded little-endian with a magic and version; decoding validates every count and size. Version 2 added the
/// <see cref="OwedReply"/> after the rings; version 1 (a daemon before it, handing over) is still read.
/// </summary>
internal sealed record SessionSnapshot(ulong ProtocolFeatures, ulong? AckedFeatures, MemoryRegionDescription[] Regions,
    bool HasBackendChannel, RingSnapshot[] Rings, OwedReply? Owed = null)
{
    private const uint Magic = 0x31535342; // "BSS1"
    private const ushort Version = 2;
    private const ushort VersionWithoutOwedReply = 1;
    private const int OwedBytes = 1 + 8 + 8 + 2;
    private const int MaxRegions = VhostUserMessage.MaxFds;
    private const int MaxRings = 64;
    private const byte FlagEnabled = 1, FlagRunning = 2, FlagKick = 4, FlagCall = 8, FlagErr = 16, FlagAddress = 32;
    private const int RingBytes = 4 + 2 + 1 + VringAddress.WireSize;

    /// <summary>The largest encoding: every region and ring.</summary>
    public const int MaxEncodedSize = 4 + 2 + 8 + 1 + 8 + 2 + MaxRegions * MemoryRegionDescription.WireSize + 1 + 2 + MaxRings * RingBytes
        + OwedBytes + OwedReply.MaxReplySize;

    /// <summary>Encodes the snapshot.</summary>
    public byte[] Encode()
    {
        if (Regions.Length > MaxRegions || Rings.Length > MaxRings)
            throw new InvalidOperationException($"a session has at most {MaxRegions} regions and {MaxRings} rings");
        if (Owed is not null && Owed.Reply.Length > OwedReply.MaxReplySize)
            throw new InvalidOperationException($"an owed reply has at most {OwedReply.MaxReplySize} bytes");
        var bytes = new byte[4 + 2 + 8 + 1 + 8 + 2 + Regions.Length * MemoryRegionDescription.WireSize + 1 + 2 + Rings.Length * RingBytes
            + OwedBytes + (Owed?.Reply.Length ?? 0)];
        var w = bytes.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(w, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(w[4..], Version);
        BinaryPrimitives.WriteUInt64LittleEndian(w[6..], ProtocolFeatures);
        w[14] = AckedFeatures is null ? (byte)0 : (byte)1;
        BinaryPrimitives.WriteUInt64LittleEndian(w[15..], AckedFeatures ?? 0);
        BinaryPrimitives.WriteUInt16LittleEndian(w[23..], (ushort)Regions.Length);
        var at = 25;
        foreach (var region in Regions)
        {
            region.Write(w[at..]);
            at += MemoryRegionDescription.WireSize;
        }
        w[at++] = HasBackendChannel ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt16LittleEndian(w[at..], (ushort)Rings.Length);
        at += 2;
        foreach (var ring in Rings)
        {
            BinaryPrimitives.WriteInt32LittleEndian(w[at..], ring.Size);
            BinaryPrimitives.WriteUInt16LittleEndian(w[(at + 4)..], ring.NextAvail);
            w[at + 6] = (byte)((ring.Enabled ? FlagEnabled : 0) | (ring.Running ? FlagRunning : 0) | (ring.HasKick ? FlagKick : 0)
                | (ring.HasCall ? FlagCall : 0) | (ring.HasErr ? FlagErr : 0) | (ring.Address is null ? 0 : FlagAddress));
            (ring.Address ?? default).Write(w[(at + 7)..]);
            at += RingBytes;
        }
        w[at] = Owed is null ? (byte)0 : (byte)1;
        BinaryPrimitives.WriteUInt64LittleEndian(w[(at + 1)..], Owed?.Sequence ?? 0);
        BinaryPrimitives.WriteUInt64LittleEndian(w[(at + 9)..], Owed?.RequestDigest ?? 0);
        BinaryPrimitives.WriteUInt16LittleEndian(w[(at + 17)..], (ushort)(Owed?.Reply.Length ?? 0));
        Owed?.Reply.CopyTo(w[(at + OwedBytes)..]);
        return bytes;
    }

    /// <summary>Decodes <paramref name="bytes"/>; null and why if they are not a snapshot this version wrote.</summary>
    public static SessionSnapshot? Decode(ReadOnlySpan<byte> bytes, out string? error)
    {
        error = null;
        if (bytes.Length < 25 || BinaryPrimitives.ReadUInt32LittleEndian(bytes) != Magic)
        {
            error = "the session record holds no snapshot";
            return null;
        }
        if (BinaryPrimitives.ReadUInt16LittleEndian(bytes[4..]) is var version && version is not (Version or VersionWithoutOwedReply))
        {
            error = $"the session snapshot has version {version}; this build reads versions {VersionWithoutOwedReply} and {Version}";
            return null;
        }
        var protocol = BinaryPrimitives.ReadUInt64LittleEndian(bytes[6..]);
        ulong? acked = bytes[14] != 0 ? BinaryPrimitives.ReadUInt64LittleEndian(bytes[15..]) : null;
        int regionCount = BinaryPrimitives.ReadUInt16LittleEndian(bytes[23..]);
        var at = 25;
        if (regionCount > MaxRegions || bytes.Length < at + regionCount * MemoryRegionDescription.WireSize + 3)
        {
            error = $"the session snapshot's {regionCount} regions do not fit it";
            return null;
        }
        var regions = new MemoryRegionDescription[regionCount];
        for (var i = 0; i < regionCount; i++, at += MemoryRegionDescription.WireSize)
            regions[i] = MemoryRegionDescription.Read(bytes[at..]);
        var backend = bytes[at++] != 0;
        int ringCount = BinaryPrimitives.ReadUInt16LittleEndian(bytes[at..]);
        at += 2;
        var owedAt = at + ringCount * RingBytes;
        if (ringCount > MaxRings || (version == VersionWithoutOwedReply ? bytes.Length != owedAt : bytes.Length < owedAt + OwedBytes))
        {
            error = $"the session snapshot's {ringCount} rings do not fit it";
            return null;
        }
        var rings = new RingSnapshot[ringCount];
        for (var i = 0; i < ringCount; i++, at += RingBytes)
        {
            var flags = bytes[at + 6];
            rings[i] = new RingSnapshot(BinaryPrimitives.ReadInt32LittleEndian(bytes[at..]),
                (flags & FlagAddress) != 0 ? VringAddress.Read(bytes[(at + 7)..]) : null,
                BinaryPrimitives.ReadUInt16LittleEndian(bytes[(at + 4)..]),
                (flags & FlagEnabled) != 0, (flags & FlagRunning) != 0, (flags & FlagKick) != 0, (flags & FlagCall) != 0, (flags & FlagErr) != 0);
        }
        if (version == VersionWithoutOwedReply)
            return new SessionSnapshot(protocol, acked, regions, backend, rings);
        int replyLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes[(owedAt + 17)..]);
        var hasOwed = bytes[owedAt] switch { 0 => false, 1 => true, _ => (bool?)null };
        if (hasOwed is null || replyLength > OwedReply.MaxReplySize || bytes.Length != owedAt + OwedBytes + replyLength
            || (hasOwed == true ? replyLength < MessageHeader.WireSize : replyLength != 0))
        {
            error = $"the session snapshot's owed reply ({replyLength} bytes) does not fit it";
            return null;
        }
        var owed = hasOwed == true
            ? new OwedReply(BinaryPrimitives.ReadUInt64LittleEndian(bytes[(owedAt + 1)..]), BinaryPrimitives.ReadUInt64LittleEndian(bytes[(owedAt + 9)..]),
                bytes.Slice(owedAt + OwedBytes, replyLength).ToArray())
            : null;
        return new SessionSnapshot(protocol, acked, regions, backend, rings, owed);
    }
}
