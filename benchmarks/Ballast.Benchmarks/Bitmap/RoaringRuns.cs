using Roaring.Net.CRoaring;

namespace Ballast.Benchmarks.Bitmap;

/// <summary>
/// Runs of a CRoaring bitmap by its native iterator (the wrapper's <c>Values</c>), merging consecutive
/// values: CRoaring does not expose its run containers, so this is its general way to walk runs.
/// </summary>
public static class RoaringRuns
{
    /// <summary>Returns runs × 2^32 + set bits, like <see cref="BitmapWalks.Runs{TFinder}"/>.</summary>
    public static ulong Walk(Roaring64Bitmap bitmap)
    {
        ulong runs = 0;
        ulong bits = 0;
        ulong previous = 0;
        bool any = false;
        foreach (ulong value in bitmap.Values)
        {
            if (!any || value != previous + 1)
            {
                runs++;
                any = true;
            }

            bits++;
            previous = value;
        }

        return BitmapWalks.Checksum(runs, bits);
    }
}
