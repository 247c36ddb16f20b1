namespace Ballast.VhostUser.Protocol;

/// <summary>
/// Protocol feature bits (VHOST_USER_PROTOCOL_F_*), vhost-user.rst "Protocol features", negotiated with
/// GET/SET_PROTOCOL_FEATURES once the front-end saw <see cref="VhostUserFeatureBit"/> in GET_FEATURES.
/// </summary>
public static class ProtocolFeatures
{
    /// <summary>VHOST_USER_F_PROTOCOL_FEATURES (30), a virtio feature bit vhost-user reuses (§"Communication"):
    /// the back-end supports GET/SET_PROTOCOL_FEATURES, and rings start disabled when it is negotiated.</summary>
    public const int VhostUserFeatureBit = 30;

    /// <summary>VHOST_USER_PROTOCOL_F_MQ (0): GET_QUEUE_NUM.</summary>
    public const int Mq = 0;

    /// <summary>VHOST_USER_PROTOCOL_F_LOG_SHMFD (1).</summary>
    public const int LogShmfd = 1;

    /// <summary>VHOST_USER_PROTOCOL_F_RARP (2).</summary>
    public const int Rarp = 2;

    /// <summary>VHOST_USER_PROTOCOL_F_REPLY_ACK (3): need_reply on any request gets a u64 0/non-zero reply.</summary>
    public const int ReplyAck = 3;

    /// <summary>VHOST_USER_PROTOCOL_F_MTU (4).</summary>
    public const int Mtu = 4;

    /// <summary>VHOST_USER_PROTOCOL_F_BACKEND_REQ (5, was SLAVE_REQ): a channel for back-end → front-end requests.</summary>
    public const int BackendReq = 5;

    /// <summary>VHOST_USER_PROTOCOL_F_CROSS_ENDIAN (6).</summary>
    public const int CrossEndian = 6;

    /// <summary>VHOST_USER_PROTOCOL_F_CRYPTO_SESSION (7).</summary>
    public const int CryptoSession = 7;

    /// <summary>VHOST_USER_PROTOCOL_F_PAGEFAULT (8).</summary>
    public const int Pagefault = 8;

    /// <summary>VHOST_USER_PROTOCOL_F_CONFIG (9): GET/SET_CONFIG and CONFIG_CHANGE_MSG. QEMU's generic device needs it.</summary>
    public const int Config = 9;

    /// <summary>VHOST_USER_PROTOCOL_F_BACKEND_SEND_FD (10).</summary>
    public const int BackendSendFd = 10;

    /// <summary>VHOST_USER_PROTOCOL_F_HOST_NOTIFIER (11).</summary>
    public const int HostNotifier = 11;

    /// <summary>VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD (12).</summary>
    public const int InflightShmfd = 12;

    /// <summary>VHOST_USER_PROTOCOL_F_RESET_DEVICE (13): RESET_DEVICE.</summary>
    public const int ResetDevice = 13;

    /// <summary>VHOST_USER_PROTOCOL_F_INBAND_NOTIFICATIONS (14).</summary>
    public const int InbandNotifications = 14;

    /// <summary>VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS (15): ADD/REM_MEM_REG and GET_MAX_MEM_SLOTS.</summary>
    public const int ConfigureMemSlots = 15;

    /// <summary>VHOST_USER_PROTOCOL_F_STATUS (16).</summary>
    public const int Status = 16;

    /// <summary>
    /// What the Ballast backend offers: MQ, REPLY_ACK, BACKEND_REQ, CONFIG and RESET_DEVICE. Not
    /// CONFIGURE_MEM_SLOTS: the memory table comes whole with SET_MEM_TABLE.
    /// </summary>
    public const ulong BackendOffered = (1UL << Mq) | (1UL << ReplyAck) | (1UL << BackendReq) | (1UL << Config) | (1UL << ResetDevice);

    /// <summary>True if <paramref name="features"/> has <paramref name="bit"/>.</summary>
    public static bool Has(ulong features, int bit) => (features & (1UL << bit)) != 0;
}
