using System.Collections.Concurrent;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Ballast.Benchmarks.Bitmap;

/// <summary>"Structure": memory held by the benchmarked structure, from <see cref="IStructureMemory"/>.</summary>
public sealed class StructureMemoryColumn : IColumn
{
    private readonly ConcurrentDictionary<(Type, string), string> _cache = new();

    public string Id => nameof(StructureMemoryColumn);

    public string ColumnName => "Structure";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => false;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => "Memory the structure holds in the benchmarked state (XBitmap.MemoryBytes; Roaring: container bytes and portable serialized size; flat: array bytes)";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        Type type = benchmarkCase.Descriptor.Type;
        string method = benchmarkCase.Descriptor.WorkloadMethod.Name;
        return _cache.GetOrAdd((type, method), key =>
            Activator.CreateInstance(key.Item1) is IStructureMemory source ? source.StructureMemory(key.Item2) : "-");
    }

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
}
