using Ballast.Bitmap;
using BenchmarkDotNet.Attributes;
using Roaring.Net.CRoaring;

namespace Ballast.Benchmarks.Bitmap;

/// <summary>
/// (e, walk only) Walk every run of the fragmented pattern, built once: about 400,000 short runs, so this
/// measures the per-run cost that the 7/8 pattern (one run) cannot show.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(BitmapBenchmarkConfig))]
public class BitmapFragmentedWalkBenchmarks : IStructureMemory, IDisposable
{
    private readonly FlatBitmap _flat = new(BitmapWorkload.TotalBits);
    private readonly XBitmap _xbitmap = new();
    private readonly Roaring64Bitmap _roaring = new();

    [GlobalSetup]
    public void Setup()
    {
        _flat.Reset();
        _xbitmap.Reset();
        _roaring.Clear();
        foreach (ulong bit in BitmapWorkload.FragmentedBits)
        {
            _flat.Set(bit);
            _xbitmap.Set(bit);
            _roaring.Add(bit);
        }

        ulong expected = Flat();
        if ((expected & uint.MaxValue) != (ulong)BitmapWorkload.FragmentedBits.Length
            || XBitmap() != expected || Roaring() != expected || TellHostSgs() != expected >> 32)
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

    /// <summary>The same walk through the public FindSet/FindZero pair, as tell_host_sgs() does it.</summary>
    [Benchmark]
    public ulong TellHostSgs() => BitmapWalks.TellHostSgs(new XBitmapFinder(_xbitmap), 0, BitmapWorkload.TotalBits - 1);

    [Benchmark]
    public ulong Roaring() => RoaringRuns.Walk(_roaring);

    public string StructureMemory(string benchmarkMethod)
    {
        Setup();
        return benchmarkMethod switch
        {
            nameof(Flat) => BitmapWorkload.Describe(_flat),
            nameof(Roaring) => BitmapWorkload.Describe(_roaring),
            _ => BitmapWorkload.Describe(_xbitmap),
        };
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _roaring.Dispose();
        GC.SuppressFinalize(this);
    }
}
