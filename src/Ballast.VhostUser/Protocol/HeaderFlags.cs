namespace Ballast.VhostUser.Protocol;

/// <summary>Bits of <see cref="MessageHeader.Flags"/>, vhost-user.rst "Header".</summary>
internal static class HeaderFlags
{
    /// <summary>"Lower 2 bits are the version (currently 0x01)".</summary>
    public const uint VersionMask = 0x3;

    /// <summary>VHOST_USER_VERSION: 1.</summary>
    public const uint Version1 = 0x1;

    /// <summary>VHOST_USER_REPLY_MASK, bit 2: "needs to be sent on each reply from the back-end".</summary>
    public const uint Reply = 0x4;

    /// <summary>VHOST_USER_NEED_REPLY_MASK, bit 3: see REPLY_ACK.</summary>
    public const uint NeedReply = 0x8;

    /// <summary>The flags of every reply: version 1 | reply = 0x5.</summary>
    public const uint ReplyFlags = Version1 | Reply;

    /// <summary>Every bit a request may carry.</summary>
    public const uint KnownRequestBits = VersionMask | NeedReply;
}
