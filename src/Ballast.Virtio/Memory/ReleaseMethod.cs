namespace Ballast.Virtio.Memory;

/// <summary>How a region gives memory back to the host.</summary>
public enum ReleaseMethod
{
    /// <summary>fallocate(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE) on the region's file: frees the pages for every mapping.</summary>
    PunchHole,

    /// <summary>madvise(MADV_REMOVE) on our mapping: the fallback where the file system refuses punch-hole.</summary>
    MadviseRemove,
}
