using Ballast.Bitmap;
using BenchmarkDotNet.Attributes;
using Roaring.Net.CRoaring;

namespace Ballast.Benchmarks.Bitmap;

/// <summary>
/// (e) Fragmented guest: 3/4 of 2,097,152 pages (random, fixed seed) recorded one by one in ascending
/// order from empty, then every run walked.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(BitmapBenchmarkConfig))]
public class BitmapFragmentedBenchmarks : IStructureMemory, IDisposable
{
    private readonly ulong[] _bits = BitmapWorkload.FragmentedBits;
    private readonly FlatBitmap _flat = new(BitmapWorkload.TotalBits);
    private readonly XBitmap _xbitmap = new();
    private readonly Roaring64Bitmap _roaring = new();

    [GlobalSetup]
    public void Check()
    {
        ulong expected = Flat();
        if ((expected & uint.MaxValue) != (ulong)_bits.Length || XBitmap() != expected || Roaring() != expected)
        {
            throw new InvalidOperationException("the structures disagree on the runs");
        }
    }

    [Benchmark(Baseline = true)]
    public ulong Flat()
    {
        _flat.Reset();
        foreach (ulong bit in _bits)
        {
            _flat.Set(bit);
        }

        return BitmapWalks.Runs(new FlatFinder(_flat), 0, BitmapWorkload.TotalBits);
    }

    [Benchmark]
    public ulong XBitmap()
    {
        _xbitmap.Reset();
        foreach (ulong bit in _bits)
        {
            _xbitmap.Set(bit);
        }

        ulong runs = 0;
        ulong bits = 0;
        foreach (XBitmapRun run in _xbitmap.Runs(0, BitmapWorkload.TotalBits))
        {
            runs++;
            bits += run.Length;
        }

        return BitmapWalks.Checksum(runs, bits);
    }

    [Benchmark]
    public ulong Roaring()
    {
        _roaring.Clear();
        using (var context = BulkContext64.For(_roaring))
        {
            foreach (ulong bit in _bits)
            {
                _roaring.AddBulk(context, bit);
            }
        }

        return RoaringRuns.Walk(_roaring);
    }

    public string StructureMemory(string benchmarkMethod)
    {
        switch (benchmarkMethod)
        {
            case nameof(Flat):
                Flat();
                return BitmapWorkload.Describe(_flat);
            case nameof(XBitmap):
                XBitmap();
                return BitmapWorkload.Describe(_xbitmap);
            default:
                Roaring();
                return BitmapWorkload.Describe(_roaring);
        }
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _roaring.Dispose();
        GC.SuppressFinalize(this);
    }
}
