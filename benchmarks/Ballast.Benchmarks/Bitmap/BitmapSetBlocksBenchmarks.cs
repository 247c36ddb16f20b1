using Ballast.Bitmap;
using BenchmarkDotNet.Attributes;
using Roaring.Net.CRoaring;

namespace Ballast.Benchmarks.Bitmap;

/// <summary>(a) Record 7 GiB of an 8 GiB guest page by page, 2 MiB blocks in descending order, from empty.</summary>
[MemoryDiagnoser]
[Config(typeof(BitmapBenchmarkConfig))]
public class BitmapSetBlocksBenchmarks : IStructureMemory, IDisposable
{
    private readonly FlatBitmap _flat = new(BitmapWorkload.TotalBits);
    private readonly XBitmap _xbitmap = new();
    private readonly Roaring64Bitmap _roaring = new();

    [Benchmark(Baseline = true)]
    public ulong Flat() => BitmapWorkload.SetBlocks(_flat);

    [Benchmark]
    public ulong XBitmap() => BitmapWorkload.SetBlocks(_xbitmap);

    [Benchmark]
    public ulong Roaring() => BitmapWorkload.SetBlocks(_roaring);

    [GlobalSetup]
    public void Check()
    {
        ulong expected = BitmapWorkload.InflatedBlocks * BitmapWorkload.BlockBits;
        if (Flat() != expected || XBitmap() != expected || Roaring() != expected)
        {
            throw new InvalidOperationException("the structures disagree on the number of recorded pages");
        }
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
