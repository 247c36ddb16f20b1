


namespace Ballast.TestKit;

/// <summary>One used ring element as the device wrote it, VIRTIO 1.2 §2.7.8: le32 id, le32 len.</summary>
/// <param name="Id">Head of the returned descriptor chain.</param>
/// <param name="Length">Bytes the device wrote into the chain's device-writable buffers.</param>
public readonly record struct UsedElement(uint Id, uint Length);
