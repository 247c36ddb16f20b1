
namespace Ballast.Simulation.Experiment;

/// <summary>Names of <see cref="BenchMode"/> values on the command line, in tables, plots and JSON.</summary>
public static class BenchModes
{
    /// <summary>The command-line value that selects every mode.</summary>
    public const string AllName = "all";

    /// <summary>Every inflate mode, in the order <c>--mode all</c> runs them (<see cref="BenchMode.Reporting"/> is
    /// not an inflate: <c>--reporting</c> adds it).</summary>
    public static IReadOnlyList<BenchMode> All { get; } = [BenchMode.PfnPerPage, BenchMode.Pfn, BenchMode.Sg];

    /// <summary>The values <c>--mode</c> accepts: <c>all</c> followed by each mode's name.</summary>
    public static IReadOnlyList<string> CommandLineValues { get; } = [AllName, .. All.Select(Name)];

    /// <summary>The kebab-case name of <paramref name="mode"/>, e.g. <c>pfn-per-page</c>.</summary>
    public static string Name(BenchMode mode) => mode switch
    {
        BenchMode.PfnPerPage => "pfn-per-page",
        BenchMode.Pfn => "pfn",
        BenchMode.Sg => "sg",
        BenchMode.Reporting => "reporting",
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "unknown bench mode"),
    };

    /// <summary>
    /// The modes selected by a <c>--mode</c> value, followed by <see cref="BenchMode.Reporting"/> if
    /// <paramref name="reporting"/> (<c>--reporting</c>).
    /// </summary>
    public static IReadOnlyList<BenchMode> Select(string value, bool reporting) =>
        reporting ? [.. Select(value), BenchMode.Reporting] : Select(value);

    /// <summary>
    /// The modes selected by a <c>--mode</c> value: every mode for <c>all</c>, else the one named.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="value"/> names no mode.</exception>
    public static IReadOnlyList<BenchMode> Select(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value == AllName)
            return All;
        foreach (var mode in All)
        {
            if (Name(mode) == value)
                return [mode];
        }

        throw new ArgumentException($"'{value}' is not a bench mode; use one of {string.Join(", ", CommandLineValues)}", nameof(value));
    }
}
