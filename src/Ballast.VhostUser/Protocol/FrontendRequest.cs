namespace Ballast.VhostUser.Protocol;

/// <summary>
/// Requests the front-end (QEMU) sends on the main socket, vhost-user.rst "Front-end message types"
/// (VHOST_USER_*). Ballast handles the ones a balloon needs; the rest are answered as unsupported.
/// </summary>
internal enum FrontendRequest : uint
{
    /// <summary>VHOST_USER_GET_FEATURES: reply u64 device features | VHOST_USER_F_PROTOCOL_FEATURES.</summary>
    GetFeatures = 1,

    /// <summary>VHOST_USER_SET_FEATURES: u64 features the driver accepted.</summary>
    SetFeatures = 2,

    /// <summary>VHOST_USER_SET_OWNER: "session start".</summary>
    SetOwner = 3,

    /// <summary>VHOST_USER_RESET_OWNER: deprecated; "disable all rings".</summary>
    ResetOwner = 4,

    /// <summary>VHOST_USER_SET_MEM_TABLE: memory regions description, one fd per region.</summary>
    SetMemTable = 5,

    /// <summary>VHOST_USER_SET_LOG_BASE (migration; not supported).</summary>
    SetLogBase = 6,

    /// <summary>VHOST_USER_SET_LOG_FD (migration; not supported).</summary>
    SetLogFd = 7,

    /// <summary>VHOST_USER_SET_VRING_NUM: vring state {index, queue size}.</summary>
    SetVringNum = 8,

    /// <summary>VHOST_USER_SET_VRING_ADDR: vring address description (front-end user addresses).</summary>
    SetVringAddr = 9,

    /// <summary>VHOST_USER_SET_VRING_BASE: vring state {index, next available index}.</summary>
    SetVringBase = 10,

    /// <summary>VHOST_USER_GET_VRING_BASE: stops the ring; reply vring state {index, next available index}.</summary>
    GetVringBase = 11,

    /// <summary>VHOST_USER_SET_VRING_KICK: u64 index (bit 8: no fd), kick eventfd attached.</summary>
    SetVringKick = 12,

    /// <summary>VHOST_USER_SET_VRING_CALL: u64 index (bit 8: no fd), call eventfd attached.</summary>
    SetVringCall = 13,

    /// <summary>VHOST_USER_SET_VRING_ERR: u64 index (bit 8: no fd), error eventfd attached.</summary>
    SetVringErr = 14,

    /// <summary>VHOST_USER_GET_PROTOCOL_FEATURES: reply u64.</summary>
    GetProtocolFeatures = 15,

    /// <summary>VHOST_USER_SET_PROTOCOL_FEATURES: u64.</summary>
    SetProtocolFeatures = 16,

    /// <summary>VHOST_USER_GET_QUEUE_NUM: reply u64 (with VHOST_USER_PROTOCOL_F_MQ).</summary>
    GetQueueNum = 17,

    /// <summary>VHOST_USER_SET_VRING_ENABLE: vring state {index, 0 or 1}.</summary>
    SetVringEnable = 18,

    /// <summary>VHOST_USER_SEND_RARP (net only).</summary>
    SendRarp = 19,

    /// <summary>VHOST_USER_NET_SET_MTU (net only).</summary>
    NetSetMtu = 20,

    /// <summary>VHOST_USER_SET_BACKEND_REQ_FD (was SET_SLAVE_REQ_FD): the backend-request socket attached.</summary>
    SetBackendReqFd = 21,

    /// <summary>VHOST_USER_IOTLB_MSG (IOMMU only).</summary>
    IotlbMsg = 22,

    /// <summary>VHOST_USER_SET_VRING_ENDIAN (legacy cross-endian only).</summary>
    SetVringEndian = 23,

    /// <summary>VHOST_USER_GET_CONFIG: virtio device config space description; reply the same with the bytes.</summary>
    GetConfig = 24,

    /// <summary>VHOST_USER_SET_CONFIG: virtio device config space description with the bytes written.</summary>
    SetConfig = 25,

    /// <summary>VHOST_USER_CREATE_CRYPTO_SESSION (crypto only).</summary>
    CreateCryptoSession = 26,

    /// <summary>VHOST_USER_CLOSE_CRYPTO_SESSION (crypto only).</summary>
    CloseCryptoSession = 27,

    /// <summary>VHOST_USER_POSTCOPY_ADVISE (postcopy migration).</summary>
    PostcopyAdvise = 28,

    /// <summary>VHOST_USER_POSTCOPY_LISTEN (postcopy migration).</summary>
    PostcopyListen = 29,

    /// <summary>VHOST_USER_POSTCOPY_END (postcopy migration).</summary>
    PostcopyEnd = 30,

    /// <summary>VHOST_USER_GET_INFLIGHT_FD (inflight tracking).</summary>
    GetInflightFd = 31,

    /// <summary>VHOST_USER_SET_INFLIGHT_FD (inflight tracking).</summary>
    SetInflightFd = 32,

    /// <summary>VHOST_USER_GPU_SET_SOCKET (gpu only).</summary>
    GpuSetSocket = 33,

    /// <summary>VHOST_USER_RESET_DEVICE: "disable all rings and reset all internal device state".</summary>
    ResetDevice = 34,

    /// <summary>VHOST_USER_VRING_KICK (in-band notifications).</summary>
    VringKick = 35,

    /// <summary>VHOST_USER_GET_MAX_MEM_SLOTS (CONFIGURE_MEM_SLOTS).</summary>
    GetMaxMemSlots = 36,

    /// <summary>VHOST_USER_ADD_MEM_REG: single memory region description (CONFIGURE_MEM_SLOTS).</summary>
    AddMemReg = 37,

    /// <summary>VHOST_USER_REM_MEM_REG: single memory region description (CONFIGURE_MEM_SLOTS).</summary>
    RemMemReg = 38,

    /// <summary>VHOST_USER_SET_STATUS (STATUS).</summary>
    SetStatus = 39,

    /// <summary>VHOST_USER_GET_STATUS (STATUS).</summary>
    GetStatus = 40,
}
