namespace Ballast.Simulation.Experiment;

/// <summary>
/// How one figure varied over the repeats of one mode: the smallest, the median, the largest and the sample standard
/// deviation (n − 1 in the denominator; 0 for a single run) — one value of <see cref="BenchSpread"/>.
/// </summary>
/// <param name="Min"><c>min</c>: the smallest value.</param>
/// <param name="Median"><c>median</c>: as <see cref="MedianAggregator.Median(IEnumerable{double})"/> takes it.</param>
/// <param name="Max"><c>max</c>: the largest value.</param>
/// <param name="Stdev"><c>stdev</c>: the sample standard deviation.</param>
public sealed record SpreadFigures(double Min, double Median, double Max, double Stdev)
{
    /// <summary>The spread of <paramref name="values"/>, which must not be empty.</summary>
    /// <exception cref="ArgumentException"><paramref name="values"/> is empty.</exception>
    public static SpreadFigures Of(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0)
            throw new ArgumentException("the spread of no values is undefined", nameof(values));
        var mean = values.Average();
        var stdev = values.Count < 2 ? 0 : Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
        return new SpreadFigures(values.Min(), MedianAggregator.Median(values), values.Max(), stdev);
    }

    /// <summary>Every value rounded with <paramref name="round"/> (for output).</summary>
    public SpreadFigures Map(Func<double, double> round)
    {
        ArgumentNullException.ThrowIfNull(round);
        return new SpreadFigures(round(Min), round(Median), round(Max), round(Stdev));
    }
}
