using Ballast.Bitmap;
using Roaring.Net.CRoaring;

namespace Ballast.Benchmarks.Bitmap;

/// <summary>
/// The shared workload: an 8 GiB guest (2,097,152 pages of 4 KiB). An idle guest's buddy allocator hands
/// the balloon 2 MiB blocks (512 pages) from the top of memory down, and the driver records the pages one
/// by one until 7 GiB (7/8 of the blocks) are inflated; the fragmented case instead has a random 25% of
/// pages missing (fixed seed).
/// </summary>
public static class BitmapWorkload
{
    public const ulong TotalBits = 2_097_152;
    public const ulong BlockBits = 512;
    public const ulong Blocks = TotalBits / BlockBits;
    public const ulong InflatedBlocks = Blocks * 7 / 8;

    /// <summary>Lowest page the 7/8 inflation records (pfn_min); pfn_max is <see cref="TotalBits"/> − 1.</summary>
    public const ulong InflatedFirst = (Blocks - InflatedBlocks) * BlockBits;

    public const int FragmentedSeed = 20171219;

    private static ulong[]? s_fragmented;

    /// <summary>The set pages of the fragmented pattern, ascending: each page kept with probability 3/4.</summary>
    public static ulong[] FragmentedBits => s_fragmented ??= MakeFragmented();

    public static ulong SetBlocks(XBitmap bitmap)
    {
        bitmap.Reset();
        for (ulong block = Blocks; block-- > Blocks - InflatedBlocks;)
        {
            ulong first = block * BlockBits;
            for (ulong page = first; page < first + BlockBits; page++)
            {
                bitmap.Set(page);
            }
        }

        return bitmap.Count;
    }

    public static ulong SetBlocks(FlatBitmap bitmap)
    {
        bitmap.Reset();
        ulong added = 0;
        for (ulong block = Blocks; block-- > Blocks - InflatedBlocks;)
        {
            ulong first = block * BlockBits;
            for (ulong page = first; page < first + BlockBits; page++)
            {
                added += bitmap.Set(page) ? 1UL : 0;
            }
        }

        return added;
    }

    /// <summary>CRoaring's fastest one-value-at-a-time insert: <c>roaring64_bitmap_add_bulk</c> with a context.</summary>
    public static ulong SetBlocks(Roaring64Bitmap bitmap)
    {
        bitmap.Clear();
        using var context = BulkContext64.For(bitmap);
        for (ulong block = Blocks; block-- > Blocks - InflatedBlocks;)
        {
            ulong first = block * BlockBits;
            for (ulong page = first; page < first + BlockBits; page++)
            {
                bitmap.AddBulk(context, page);
            }
        }

        return bitmap.Count;
    }

    public static string Describe(XBitmap bitmap) => $"{bitmap.MemoryBytes:N0} B";

    public static string Describe(FlatBitmap bitmap) => $"{bitmap.MemoryBytes:N0} B";

    /// <summary>Container payload from CRoaring's statistics (its ART index is not counted) and the portable serialized size.</summary>
    public static string Describe(Roaring64Bitmap bitmap)
    {
        Statistics64 stats = bitmap.GetStatistics();
        ulong containers = stats.ArrayContainerBytes + stats.RunContainerBytes + stats.BitsetContainerBytes;
        return $"{containers:N0} B ({bitmap.GetSerializationSize(SerializationFormat.Portable):N0} B ser.)";
    }

    private static ulong[] MakeFragmented()
    {
        var random = new Random(FragmentedSeed);
        var bits = new List<ulong>((int)TotalBits);
        for (ulong bit = 0; bit < TotalBits; bit++)
        {
            if (random.Next(4) != 0)
            {
                bits.Add(bit);
            }
        }

        return [.. bits];
    }
}
