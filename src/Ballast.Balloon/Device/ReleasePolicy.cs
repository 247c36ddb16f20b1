namespace Ballast.Balloon.Device;

/// <summary>How the device gives host memory back for PFN-array (non-SG) inflate buffers.</summary>
public enum ReleasePolicy
{
    /// <summary>
    /// Sort and merge every PFN drained in one wake-up into runs (across buffers), then one translation and
    /// one release call per run. Firecracker merges up to 2048 PFNs per descriptor batch; we merge the whole drain.
    /// </summary>
    Coalesce,

    /// <summary>One translation and one release call per 4 KiB PFN: QEMU's way, and the seed's baseline.</summary>
    PerPage,
}
