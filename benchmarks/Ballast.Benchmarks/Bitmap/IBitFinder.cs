namespace Ballast.Benchmarks.Bitmap;

/// <summary>
/// FindSet/FindZero over one of the compared structures. The walks take it as a struct type parameter, so
/// the JIT specialises them per structure and every structure runs exactly the same loop.
/// </summary>
public interface IBitFinder
{
    /// <summary>First set bit in [start, end), or end.</summary>
    ulong FindSet(ulong start, ulong end);

    /// <summary>First clear bit in [start, end), or end.</summary>
    ulong FindZero(ulong start, ulong end);
}
