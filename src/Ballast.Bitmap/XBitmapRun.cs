namespace Ballast.Bitmap;

/// <summary>
/// A maximal run of set bits: <see cref="Length"/> consecutive bits starting at <see cref="Start"/>. In the
/// balloon these are guest page frames (PFNs) that become one scatter-gather entry in tell_host_sgs().
/// </summary>
/// <param name="Start">The first set bit of the run.</param>
/// <param name="Length">The number of set bits in the run; never 0.</param>
public readonly record struct XBitmapRun(ulong Start, ulong Length)
{
    /// <summary>The first bit after the run (exclusive end).</summary>
    public ulong End => Start + Length;
}
