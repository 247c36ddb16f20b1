namespace Ballast.Virtio;

/// <summary>Device-independent feature bits, VIRTIO 1.2 §6 "Reserved Feature Bits".</summary>
public static class VirtioFeatures
{
    /// <summary>VIRTIO_F_INDIRECT_DESC (28): the driver may use indirect descriptor tables (§2.7.5.3).</summary>
    public const int IndirectDesc = 28;

    /// <summary>VIRTIO_F_EVENT_IDX (29): used_event/avail_event suppress notifications (§2.7.7, §2.7.10).</summary>
    public const int EventIdx = 29;

    /// <summary>VHOST_USER_F_PROTOCOL_FEATURES (30): not a virtio bit; vhost-user's marker for protocol features.</summary>
    public const int VhostUserProtocolFeatures = 30;

    /// <summary>VIRTIO_F_VERSION_1 (32): a modern (non-legacy) device; config space is little-endian.</summary>
    public const int Version1 = 32;

    /// <summary>The mask of one feature bit.</summary>
    public static ulong Bit(int bit) => 1UL << bit;

    /// <summary>True if <paramref name="features"/> has <paramref name="bit"/>.</summary>
    public static bool Has(ulong features, int bit) => (features & (1UL << bit)) != 0;
}
