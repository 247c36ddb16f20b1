
namespace Ballast.Simulation.Experiment;

/// <summary>
/// Where a running bench is: reported by the engine through <see cref="IProgress{T}"/> so the
/// command can show a one-line progress display on a terminal.
/// </summary>
/// <param name="Mode">The mode running now.</param>
/// <param name="Phase">
/// What it is doing, one of the <see cref="BenchPhases"/> names (<c>inflate</c>, <c>deflate</c>,
/// <c>restore</c>) or another short lower-case word the display shows as it is.
/// </param>
/// <param name="BytesDone">Bytes of this phase done so far.</param>
/// <param name="BytesTotal">Bytes this phase will do in all.</param>
public readonly record struct BenchProgress(BenchMode Mode, string Phase, long BytesDone, long BytesTotal);
