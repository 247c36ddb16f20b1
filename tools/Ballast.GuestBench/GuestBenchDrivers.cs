namespace Ballast.GuestBench;

/// <summary>
/// Names of <see cref="GuestBenchDriver"/> values on the command line (<c>--driver</c>), in tables and JSON, and what
/// each needs: the module <c>/init</c> loads, its kernel command-line words, whether the daemon offers SG.
/// </summary>
public static class GuestBenchDrivers
{
    /// <summary>The command-line value that selects every driver.</summary>
    public const string AllName = "all";

    /// <summary>The module's <c>alloc_order</c> for <see cref="GuestBenchDriver.SgHighOrder"/>: 2 MiB blocks.</summary>
    public const int HighOrder = 9;

    /// <summary>The name of Ballast's module (<c>ballast.module=</c>, and the bound driver in the <c>virtio</c> fact).</summary>
    public const string BallastModule = "ballast_balloon";

    /// <summary>The name of the stock module and driver.</summary>
    public const string StockModule = "virtio_balloon";

    /// <summary>Every driver, in the order <c>--driver all</c> runs them.</summary>
    public static IReadOnlyList<GuestBenchDriver> All { get; } = [GuestBenchDriver.Stock, GuestBenchDriver.Sg, GuestBenchDriver.SgHighOrder];

    /// <summary>The values <c>--driver</c> takes: each driver's name, then <c>all</c>.</summary>
    public static IReadOnlyList<string> CommandLineValues { get; } = [.. All.Select(Name), AllName];

    /// <summary>The kebab-case name of <paramref name="driver"/>: <c>stock</c>, <c>sg</c> or <c>sg-highorder</c>.</summary>
    public static string Name(GuestBenchDriver driver) => driver switch
    {
        GuestBenchDriver.Stock => "stock",
        GuestBenchDriver.Sg => "sg",
        GuestBenchDriver.SgHighOrder => "sg-highorder",
        _ => throw new ArgumentOutOfRangeException(nameof(driver), driver, "unknown guest-bench driver"),
    };

    /// <summary>The driver named <paramref name="name"/> (not <c>all</c>); false if none is.</summary>
    public static bool TryParse(string? name, out GuestBenchDriver driver)
    {
        foreach (var candidate in All)
        {
            if (Name(candidate) == name)
            {
                driver = candidate;
                return true;
            }
        }
        driver = default;
        return false;
    }

    /// <summary>The drivers one repeat runs, in order, for a <c>--driver</c> value: every driver for <c>all</c>, else the one named.</summary>
    /// <exception cref="ArgumentException"><paramref name="value"/> is not a <c>--driver</c> value.</exception>
    public static IReadOnlyList<GuestBenchDriver> Select(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value == AllName)
            return All;
        if (TryParse(value, out var driver))
            return [driver];
        throw new ArgumentException($"--driver must be one of {string.Join(", ", CommandLineValues)} (got '{value}')", nameof(value));
    }

    /// <summary>Whether <paramref name="driver"/> is Ballast's module (and needs the daemon's SG feature).</summary>
    public static bool UsesSg(GuestBenchDriver driver) => driver is GuestBenchDriver.Sg or GuestBenchDriver.SgHighOrder;

    /// <summary>The module <c>/init</c> loads for <paramref name="driver"/> (<c>ballast.module=</c>).</summary>
    public static string Module(GuestBenchDriver driver) => UsesSg(driver) ? BallastModule : StockModule;

    /// <summary>
    /// The kernel command-line words that pick <paramref name="driver"/>: <c>ballast.module=</c>, plus
    /// <c>ballast.modargs=alloc_order=9</c> for <see cref="GuestBenchDriver.SgHighOrder"/>; with
    /// <paramref name="verbose"/> Ballast's module also gets <c>dyndbg=+p</c> (its <c>dev_dbg</c> lines on: one kernel
    /// line per batch with its time breakdown, see <see cref="GuestModuleBreakdown"/>).
    /// </summary>
    public static string KernelArguments(GuestBenchDriver driver, bool verbose = false) => driver switch
    {
        GuestBenchDriver.Stock => $"ballast.module={StockModule}",
        GuestBenchDriver.Sg => $"ballast.module={BallastModule}" + (verbose ? " ballast.modargs=dyndbg=+p" : ""),
        GuestBenchDriver.SgHighOrder => $"ballast.module={BallastModule} ballast.modargs=alloc_order={HighOrder}" + (verbose ? ",dyndbg=+p" : ""),
        _ => throw new ArgumentOutOfRangeException(nameof(driver), driver, "unknown driver"),
    };
}
