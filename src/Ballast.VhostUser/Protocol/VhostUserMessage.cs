namespace Ballast.VhostUser.Protocol;

/// <summary>
/// Limits of one vhost-user message (vhost-user.rst "C structure": VhostUserMsg is the header followed by a
/// union of the payloads).
/// </summary>
internal static class VhostUserMessage
{
    /// <summary>
    /// The largest payload of any request the backend accepts: the config space description, 12 + 256 bytes
    /// (the memory table is 264). A larger size is a protocol violation and ends the connection.
    /// </summary>
    public const int MaxPayloadSize = ConfigSpace.HeaderSize + ConfigSpace.MaxSize;

    /// <summary>Bytes of a u64 payload.</summary>
    public const int U64Size = 8;

    /// <summary>The most file descriptors one message carries (a memory table of 8 regions).</summary>
    public const int MaxFds = MemoryTable.MaxRegions;
}
