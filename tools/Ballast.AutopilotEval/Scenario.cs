using System.Globalization;

namespace Ballast.AutopilotEval;

/// <summary>
/// The workload every guest runs, the same in each <see cref="EvalWay"/>: cycles of four phases, each guest's cycle
/// shifted by <c>cycle / guests</c> so that the guests need their memory at different times. Times below are for a
/// 240 s cycle (the full evaluation) and scale with <see cref="CycleSeconds"/>; sizes are shares of guest RAM (MiB for
/// 2 GiB):
/// <list type="bullet">
/// <item><b>grow</b> at 0, 15 and 30 s: three hogs of 15.6% of RAM (320 MiB) each, touched 16 MiB at a time with 200 ms
/// between chunks (a workload growing at a rate), then held;</item>
/// <item><b>free</b> at 90 s: <c>unhog</c> (all of it becomes free guest memory);</item>
/// <item><b>churn</b> at 140 s: four allocate/free cycles, 10 s apart — a hog of 25% of RAM (512 MiB) touched 16 MiB at a
/// time as fast as it goes, freed 10 s later (page-cache-like: used for a while, dropped, taken again);</item>
/// <item>idle until the cycle ends (240 s).</item>
/// </list>
/// Steps falling after <see cref="EndSeconds"/> are dropped; at <see cref="EndSeconds"/> every guest frees whatever it
/// holds (<c>unhog</c>), and the last <see cref="SettleSeconds"/> let the host see that.
/// </summary>
public sealed record Scenario
{
    /// <summary>The chunk every hog touches at a time (its allocation latency is measured per chunk).</summary>
    public const int ChunkMiB = 16;

    /// <summary>The reference cycle the phase times are written for.</summary>
    public const double ReferenceCycleSeconds = 240;

    /// <summary>How long the scenario runs, seconds (sampling stops then).</summary>
    public required double DurationSeconds { get; init; }

    /// <summary>One cycle of the four phases, seconds.</summary>
    public required double CycleSeconds { get; init; }

    /// <summary>Guest RAM, bytes (hog sizes are shares of it).</summary>
    public required long GuestMemBytes { get; init; }

    /// <summary>The number of guests (their cycles are shifted by <c>cycle / guests</c>).</summary>
    public required int Guests { get; init; }

    /// <summary>The quiet tail after the final <c>unhog</c>, seconds.</summary>
    public double SettleSeconds { get; init; } = 15;

    /// <summary>When every guest frees its hogs for the last time.</summary>
    public double EndSeconds => DurationSeconds - SettleSeconds;

    /// <summary>The evaluation: 3 guests of 2 GiB, 10 minutes, a 240 s cycle.</summary>
    public static Scenario Full(int guests = 3, long guestMemBytes = 2L << 30, double durationSeconds = 600) => new()
    {
        DurationSeconds = durationSeconds,
        CycleSeconds = ReferenceCycleSeconds,
        GuestMemBytes = guestMemBytes,
        Guests = guests,
    };

    /// <summary>The CI version: 2 guests of 1 GiB, 2 minutes, a 120 s cycle.</summary>
    public static Scenario Short(int guests = 2, long guestMemBytes = 1L << 30, double durationSeconds = 120) => new()
    {
        DurationSeconds = durationSeconds,
        CycleSeconds = 120,
        GuestMemBytes = guestMemBytes,
        Guests = guests,
        SettleSeconds = 12,
    };

    /// <summary>The hog of the grow phase, MiB (three of them).</summary>
    public long GrowMiB => Math.Max(ChunkMiB, GuestMemBytes * 320 / (2048L << 20) / ChunkMiB * ChunkMiB);

    /// <summary>The hog of each churn cycle, MiB.</summary>
    public long ChurnMiB => Math.Max(ChunkMiB, GuestMemBytes * 512 / (2048L << 20) / ChunkMiB * ChunkMiB);

    /// <summary>The most hog memory a guest holds at once, MiB.</summary>
    public long PeakHogMiB => Math.Max(3 * GrowMiB, ChurnMiB);

    /// <summary>Guest <paramref name="guest"/>'s steps (0-based), in time order.</summary>
    public IReadOnlyList<ScenarioStep> Steps(int guest)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(guest);
        var scale = CycleSeconds / ReferenceCycleSeconds;
        var offset = CycleSeconds * guest / Math.Max(1, Guests);
        var grow = string.Create(CultureInfo.InvariantCulture, $"hog {GrowMiB} {ChunkMiB} 200");
        var churn = string.Create(CultureInfo.InvariantCulture, $"hog {ChurnMiB} {ChunkMiB} 0");
        (double At, string Command, string Phase)[] cycle =
        [
            (0, grow, "grow"), (15, grow, "grow"), (30, grow, "grow"), (90, "unhog", "free"),
            (140, churn, "churn"), (150, "unhog", "churn"), (160, churn, "churn"), (170, "unhog", "churn"),
            (180, churn, "churn"), (190, "unhog", "churn"), (200, churn, "churn"), (210, "unhog", "churn"),
        ];
        var steps = new List<ScenarioStep>();
        for (var start = offset; start < EndSeconds; start += CycleSeconds)
        {
            foreach (var (at, command, phase) in cycle)
            {
                var when = start + at * scale;
                if (when < EndSeconds - 1)
                    steps.Add(new ScenarioStep(Math.Round(when, 1), command, phase));
            }
        }
        steps.Add(new ScenarioStep(EndSeconds, "unhog", "end"));
        return steps;
    }
}
