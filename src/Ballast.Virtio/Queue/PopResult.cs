namespace Ballast.Virtio.Queue;

/// <summary>What <see cref="DeviceQueue.TryPop"/> found.</summary>
public enum PopResult
{
    /// <summary>No new available buffer.</summary>
    Empty,

    /// <summary>A well-formed chain; its descriptors are in the caller's span.</summary>
    Chain,

    /// <summary>A malformed chain (see <see cref="Chain.Error"/>): push it back used with length 0 and count it.</summary>
    BadChain,

    /// <summary>The ring itself is unusable; the device needs reset (VIRTIO 1.2 §2.1.2 DEVICE_NEEDS_RESET).</summary>
    Broken,
}
