namespace Ballast.Benchmarks.Bitmap;

/// <summary>The two walks the benchmarks time, written once for every structure.</summary>
public static class BitmapWalks
{
    /// <summary>Largest sg the seed sends: round_down(UINT_MAX, PAGE_SIZE) bytes, in 4 KiB pages.</summary>
    public const ulong MaxSgPages = (uint.MaxValue & ~4095u) >> 12;

    /// <summary>
    /// tell_host_sgs(): over the inclusive [pfnMin, pfnMax], FindSet then FindZero bound a run, runs longer
    /// than <see cref="MaxSgPages"/> are cut into several sgs, and the next search starts one past the zero.
    /// Returns the number of sgs.
    /// </summary>
    public static ulong TellHostSgs<TFinder>(TFinder finder, ulong pfnMin, ulong pfnMax)
        where TFinder : struct, IBitFinder
    {
        ulong sgs = 0;
        ulong end = pfnMax + 1;
        ulong position = pfnMin;
        while (position < end)
        {
            ulong first = finder.FindSet(position, end);
            if (first == end)
            {
                break;
            }

            ulong next = finder.FindZero(first, end);
            sgs += (next - first + MaxSgPages - 1) / MaxSgPages;
            if (next == end)
            {
                break;
            }

            position = next + 1;
        }

        return sgs;
    }

    /// <summary>Every maximal run in [start, end) by FindSet/FindZero pairs; returns runs × 2^32 + set bits (a checksum).</summary>
    public static ulong Runs<TFinder>(TFinder finder, ulong start, ulong end)
        where TFinder : struct, IBitFinder
    {
        ulong runs = 0;
        ulong bits = 0;
        ulong position = start;
        while (position < end)
        {
            ulong first = finder.FindSet(position, end);
            if (first == end)
            {
                break;
            }

            ulong next = finder.FindZero(first, end);
            runs++;
            bits += next - first;
            position = next;
        }

        return Checksum(runs, bits);
    }

    public static ulong Checksum(ulong runs, ulong bits) => (runs << 32) + bits;
}
