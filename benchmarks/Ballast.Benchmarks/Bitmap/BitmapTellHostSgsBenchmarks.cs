using Ballast.Bitmap;
using BenchmarkDotNet.Attributes;
using Roaring.Net.CRoaring;

namespace Ballast.Benchmarks.Bitmap;

/// <summary>(c) The tell_host_sgs() FindSet/FindZero walk over [pfn_min, pfn_max] of the 7/8-inflated bitmap.</summary>
[MemoryDiagnoser]
[Config(typeof(BitmapBenchmarkConfig))]
public class BitmapTellHostSgsBenchmarks : IStructureMemory, IDisposable
{
    private const ulong PfnMin = BitmapWorkload.InflatedFirst;
    private const ulong PfnMax = BitmapWorkload.TotalBits - 1;

    private readonly FlatBitmap _flat = new(BitmapWorkload.TotalBits);
    private readonly XBitmap _xbitmap = new();
    private readonly Roaring64Bitmap _roaring = new();

    [GlobalSetup]
    public void Setup()
    {
        BitmapWorkload.SetBlocks(_flat);
        BitmapWorkload.SetBlocks(_xbitmap);
        BitmapWorkload.SetBlocks(_roaring);
        ulong expected = Flat();
        if (expected == 0 || XBitmap() != expected || Roaring() != expected)
        {
            throw new InvalidOperationException("the structures disagree on the sgs");
        }
    }

    [Benchmark(Baseline = true)]
    public ulong Flat() => BitmapWalks.TellHostSgs(new FlatFinder(_flat), PfnMin, PfnMax);

    [Benchmark]
    public ulong XBitmap() => BitmapWalks.TellHostSgs(new XBitmapFinder(_xbitmap), PfnMin, PfnMax);

    [Benchmark]
    public ulong Roaring() => BitmapWalks.TellHostSgs(new RoaringFinder(_roaring), PfnMin, PfnMax);

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
