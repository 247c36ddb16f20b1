using Ballast.Bitmap;
using BenchmarkDotNet.Attributes;
using Roaring.Net.CRoaring;

namespace Ballast.Benchmarks.Bitmap;

/// <summary>(b) Walk every run of the 7/8-inflated bitmap (built as in (a)).</summary>
[MemoryDiagnoser]
[Config(typeof(BitmapBenchmarkConfig))]
public class BitmapWalkRunsBenchmarks : IStructureMemory, IDisposable
{
    private readonly FlatBitmap _flat = new(BitmapWorkload.TotalBits);
    private readonly XBitmap _xbitmap = new();
    private readonly Roaring64Bitmap _roaring = new();

    [GlobalSetup]
    public void Setup()
    {
        BitmapWorkload.SetBlocks(_flat);
        BitmapWorkload.SetBlocks(_xbitmap);
        BitmapWorkload.SetBlocks(_roaring);
        ulong expected = BitmapWalks.Checksum(1, BitmapWorkload.InflatedBlocks * BitmapWorkload.BlockBits);
        if (Flat() != expected || XBitmap() != expected || Roaring() != expected)
        {
            throw new InvalidOperationException("the structures disagree on the runs");
        }
    }

    [Benchmark(Baseline = true)]
    public ulong Flat() => BitmapWalks.Runs(new FlatFinder(_flat), 0, BitmapWorkload.TotalBits);

    [Benchmark]
    public ulong XBitmap()
    {
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
    public ulong Roaring() => RoaringRuns.Walk(_roaring);

    public string StructureMemory(string benchmarkMethod)
    {
        Setup();
        return benchmarkMethod switch
        {
            nameof(Flat) => BitmapWorkload.Describe(_flat),
            nameof(XBitmap) => BitmapWorkload.Describe(_xbitmap),
            _ => BitmapWorkload.Describe(_roaring),
        };
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _roaring.Dispose();
        GC.SuppressFinalize(this);
    }
}
