
namespace Ballast.Simulation.Experiment;

/// <summary>
/// What <c>ballast bench</c> asks the engine to run. The command validates every value before it
/// builds an engine (see <see cref="BenchOptionsValidator"/>), so an engine may rely on:
/// <see cref="InflateBytes"/> ≤ <see cref="GuestMemBytes"/>, <see cref="GuestMemBytes"/> a multiple
/// of 4 MiB, <see cref="InflateBytes"/> a positive multiple of 4096, <see cref="Modes"/> non-empty
/// and <see cref="Repeat"/> ≥ 1.
/// </summary>
public sealed record BenchOptions
{
    /// <summary>Size of the simulated guest's RAM in bytes (<c>--guest-mem</c>, default 8 GiB).</summary>
    public required long GuestMemBytes { get; init; }

    /// <summary>How much the balloon inflates, in bytes (<c>--inflate</c>, default 7 GiB).</summary>
    public required long InflateBytes { get; init; }

    /// <summary>The modes to run, in this order (<c>--mode</c>; <c>all</c> is pfn-per-page, pfn, sg).</summary>
    public required IReadOnlyList<BenchMode> Modes { get; init; }

    /// <summary>The guest memory profile (<c>--profile</c>, default idle).</summary>
    public BenchProfile Profile { get; init; } = BenchProfile.Idle;

    /// <summary><c>--clean</c>: passed through to the engine's simulated guest.</summary>
    public bool Clean { get; init; }

    /// <summary><c>--zero-on-alloc</c>: passed through to the engine's simulated guest.</summary>
    public bool ZeroOnAlloc { get; init; }

    /// <summary>
    /// How many times to run each mode (<c>--repeat</c>, default 1). The engine returns every run;
    /// the command reduces them to one median run per mode with <see cref="MedianAggregator"/>.
    /// </summary>
    public int Repeat { get; init; } = 1;

    /// <summary>How driver and device talk (<c>--transport</c>, default in-process).</summary>
    public BenchTransport Transport { get; init; } = BenchTransport.InProcess;
}
