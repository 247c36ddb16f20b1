using BenchmarkDotNet.Configs;

namespace Ballast.Benchmarks.Bitmap;

/// <summary>Adds the structure-memory column to the bitmap benchmarks; jobs come from the command line.</summary>
public sealed class BitmapBenchmarkConfig : ManualConfig
{
    public BitmapBenchmarkConfig() => AddColumn(new StructureMemoryColumn());
}
