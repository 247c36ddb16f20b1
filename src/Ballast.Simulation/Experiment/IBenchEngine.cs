
namespace Ballast.Simulation.Experiment;

/// <summary>
/// Runs the seed's balloon experiment: a simulated guest whose driver inflates a balloon through
/// virtqueues against Ballast's balloon device, in each of <see cref="BenchOptions.Modes"/>.
/// </summary>
/// <remarks>
/// <c>ballast bench</c> builds one engine per invocation through its factory, calls
/// <see cref="Run"/> once, and disposes the engine afterwards if it is <see cref="IDisposable"/>.
/// </remarks>
public interface IBenchEngine
{
    /// <summary>
    /// Runs every mode of <see cref="BenchOptions.Modes"/>, in that order,
    /// <see cref="BenchOptions.Repeat"/> times each, and returns all the runs.
    /// </summary>
    /// <param name="options">Validated options (see <see cref="BenchOptions"/> for what is guaranteed).</param>
    /// <param name="progress">
    /// Where to report progress, or <see langword="null"/>. Reports are handled synchronously on the
    /// calling thread and are cheap, but should not be made more often than every few MiB.
    /// </param>
    /// <param name="ct">Cancelled on Ctrl+C; the engine should stop and throw <see cref="OperationCanceledException"/>.</param>
    /// <returns>
    /// A report whose header fields echo <paramref name="options"/> (see
    /// <see cref="BenchReport.For(BenchOptions, IReadOnlyList{BenchBackingSummary}, IReadOnlyList{BenchRun}, IReadOnlyList{string})"/>)
    /// and whose <see cref="BenchReport.Runs"/> holds every run, <c>Backings.Count × Modes.Count × Repeat</c> of them,
    /// in the order they ran. The command takes the median per backing and mode; an engine that returns one
    /// run per mode is fine too.
    /// </returns>
    /// <exception cref="BenchHostException">The host cannot give a backing asked for; the message is for the user.</exception>
    BenchReport Run(BenchOptions options, IProgress<BenchProgress>? progress, CancellationToken ct);
}
