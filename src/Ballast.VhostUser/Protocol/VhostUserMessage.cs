namespace Ballast.VhostUser.Protocol;

/// <summary>
/// Limits of one vhost-user message (vhost-user.rst "C structure": VhostUserMsg is the header followed by a
/// union of the payloads).
/// </summary>
internal static class VhostUserMessage
{
    /// <summary>
    /// The largest payload a request may announce: sizeof the payload union of VhostUserMsg, whose largest member
    /// is the config space description (12 + 256 = 268 bytes; the memory table is 264) rounded up to the union's
    /// 8-byte alignment. A larger size is a protocol violation and ends the connection; each request then checks
    /// its own exact size.
    /// </summary>
    public const int MaxPayloadSize = (ConfigSpace.HeaderSize + ConfigSpace.MaxSize + 7) & ~7;

    /// <summary>Bytes of a u64 payload.</summary>
    public const int U64Size = 8;

    /// <summary>
    /// The most file descriptors one message may carry in all: SET_MEM_TABLE's, one per region (vhost-user.rst
    /// "VHOST_USER_SET_MEM_TABLE": "In the ancillary data there is an array of file descriptors for each memory
    /// mapped region"), at most VHOST_MEMORY_BASELINE_NREGIONS = 8 of them; every other request carries at most one.
    /// More — however the peer spreads them over the message's pieces — is a protocol violation, and all are closed.
    /// </summary>
    public const int MaxFds = MemoryTable.MaxRegions;
}
