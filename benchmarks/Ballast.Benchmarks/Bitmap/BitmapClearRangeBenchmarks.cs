using Ballast.Bitmap;
using BenchmarkDotNet.Attributes;
using Roaring.Net.CRoaring;

namespace Ballast.Benchmarks.Bitmap;

/// <summary>
/// (d) Clear [pfn_min, pfn_max] of the 7/8-inflated bitmap, as tell_host_sgs() ends with xb_clear_bit_range.
/// Each invocation clears its own copy, rebuilt before every iteration exactly as (a) leaves it.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(BitmapBenchmarkConfig))]
[InvocationCount(Copies)]
public class BitmapClearRangeBenchmarks : IStructureMemory, IDisposable
{
    private const int Copies = 32;
    private const ulong First = BitmapWorkload.InflatedFirst;
    private const ulong Count = BitmapWorkload.TotalBits - BitmapWorkload.InflatedFirst;

    private readonly FlatBitmap _flatTemplate = new(BitmapWorkload.TotalBits);
    private readonly Roaring64Bitmap _roaringTemplate = new();
    private readonly FlatBitmap[] _flat = new FlatBitmap[Copies];
    private readonly XBitmap[] _xbitmap = new XBitmap[Copies];
    private readonly Roaring64Bitmap?[] _roaring = new Roaring64Bitmap?[Copies];
    private int _next;

    public BitmapClearRangeBenchmarks()
    {
        for (int i = 0; i < Copies; i++)
        {
            _flat[i] = new FlatBitmap(BitmapWorkload.TotalBits);
            _xbitmap[i] = new XBitmap();
        }

        BitmapWorkload.SetBlocks(_flatTemplate);
        BitmapWorkload.SetBlocks(_roaringTemplate);
    }

    [IterationSetup(Target = nameof(Flat))]
    public void RefillFlat()
    {
        _next = 0;
        foreach (FlatBitmap copy in _flat)
        {
            copy.CopyFrom(_flatTemplate);
        }
    }

    [IterationSetup(Target = nameof(XBitmap))]
    public void RefillXBitmap()
    {
        _next = 0;
        foreach (XBitmap copy in _xbitmap)
        {
            BitmapWorkload.SetBlocks(copy);
        }
    }

    [IterationSetup(Target = nameof(Roaring))]
    public void RefillRoaring()
    {
        _next = 0;
        for (int i = 0; i < Copies; i++)
        {
            _roaring[i]?.Dispose();
            _roaring[i] = _roaringTemplate.Clone();
        }
    }

    [Benchmark(Baseline = true)]
    public void Flat() => _flat[_next++].ClearRange(First, Count);

    [Benchmark]
    public void XBitmap() => _xbitmap[_next++].ClearRange(First, Count);

    [Benchmark]
    public void Roaring() => _roaring[_next++]!.RemoveRange(First, First + Count - 1);

    public string StructureMemory(string benchmarkMethod)
    {
        switch (benchmarkMethod)
        {
            case nameof(Flat):
                RefillFlat();
                string flatBefore = BitmapWorkload.Describe(_flat[0]);
                Flat();
                return $"{flatBefore} → {BitmapWorkload.Describe(_flat[0])}";
            case nameof(XBitmap):
                _next = 0;
                BitmapWorkload.SetBlocks(_xbitmap[0]);
                string before = BitmapWorkload.Describe(_xbitmap[0]);
                XBitmap();
                return $"{before} → {BitmapWorkload.Describe(_xbitmap[0])}";
            default:
                RefillRoaring();
                string roaringBefore = BitmapWorkload.Describe(_roaring[0]!);
                Roaring();
                return $"{roaringBefore} → {BitmapWorkload.Describe(_roaring[0]!)}";
        }
    }

    [GlobalCleanup]
    public void Dispose()
    {
        foreach (Roaring64Bitmap? copy in _roaring)
        {
            copy?.Dispose();
        }

        _roaringTemplate.Dispose();
        GC.SuppressFinalize(this);
    }
}
