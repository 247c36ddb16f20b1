using Roaring.Net.CRoaring;

namespace Ballast.Benchmarks.Bitmap;

/// <summary>
/// FindSet/FindZero on a CRoaring 64-bit bitmap, which has neither: FindSet is rank then select (the first
/// value at or after start); FindZero gallops then bisects on select (a run of set bits from start is as
/// long as select(rank + k) == start + k holds), O(log run length) native calls.
/// </summary>
public readonly struct RoaringFinder(Roaring64Bitmap bitmap) : IBitFinder
{
    public ulong FindSet(ulong start, ulong end)
    {
        if (start >= end)
        {
            return end;
        }

        ulong before = start == 0 ? 0 : bitmap.CountLessOrEqualTo(start - 1);
        return bitmap.TryGetValue(before, out ulong value) && value < end ? value : end;
    }

    public ulong FindZero(ulong start, ulong end)
    {
        if (start >= end || !bitmap.Contains(start))
        {
            return start >= end ? end : start;
        }

        ulong rank = bitmap.CountLessOrEqualTo(start) - 1;
        ulong limit = end - start;
        ulong lo = 0; // start .. start + lo are all set
        ulong hi;     // start + hi is past the run, or hi == limit
        ulong step = 1;
        while (true)
        {
            ulong k = lo + step;
            if (k >= limit)
            {
                hi = limit;
                break;
            }

            if (!Contiguous(rank, start, k))
            {
                hi = k;
                break;
            }

            lo = k;
            step <<= 1;
        }

        while (hi - lo > 1)
        {
            ulong mid = lo + ((hi - lo) / 2);
            if (Contiguous(rank, start, mid))
            {
                lo = mid;
            }
            else
            {
                hi = mid;
            }
        }

        return start + lo + 1;
    }

    private bool Contiguous(ulong rank, ulong start, ulong k) =>
        bitmap.TryGetValue(rank + k, out ulong value) && value == start + k;
}
