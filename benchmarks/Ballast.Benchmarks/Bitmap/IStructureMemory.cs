namespace Ballast.Benchmarks.Bitmap;

/// <summary>
/// A bitmap benchmark class that can rebuild, in the host process, the structure one of its benchmarks
/// works on and say how much memory it holds (shown by <see cref="StructureMemoryColumn"/>).
/// </summary>
public interface IStructureMemory
{
    string StructureMemory(string benchmarkMethod);
}
