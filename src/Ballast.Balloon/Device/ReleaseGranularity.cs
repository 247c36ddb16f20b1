namespace Ballast.Balloon.Device;

/// <summary>How much the device releases at a time on guest RAM backed by huge pages (issue #14).</summary>
public enum ReleaseGranularity
{
    /// <summary>
    /// Whole host pages: a huge page is released once every 4 KiB frame in it is ballooned, in whatever order and
    /// buffer the frames came, and not before. The default, and the only way on hugetlb (a partial punch there frees
    /// nothing, the kernel only zeroes the range). On 4 KiB memory it is the same as <see cref="Page4K"/>.
    /// </summary>
    HostPage,

    /// <summary>
    /// Every ballooned 4 KiB frame at once, as on base pages: on transparent huge pages a partial punch splits the
    /// huge page (and frees the frames) or, where the split fails, only zeroes them. Ignored on hugetlb.
    /// </summary>
    Page4K,
}
