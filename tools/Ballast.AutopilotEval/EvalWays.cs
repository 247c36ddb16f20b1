namespace Ballast.AutopilotEval;

/// <summary>Names and daemon features of the <see cref="EvalWay"/>s.</summary>
public static class EvalWays
{
    /// <summary>The three ways, in the order they run.</summary>
    public static IReadOnlyList<EvalWay> All { get; } = [EvalWay.NoBalloon, EvalWay.Reporting, EvalWay.Autopilot];

    /// <summary>The way's name in tables, files and on the command line.</summary>
    public static string Name(EvalWay way) => way switch
    {
        EvalWay.NoBalloon => "no-balloon",
        EvalWay.Reporting => "reporting",
        EvalWay.Autopilot => "autopilot",
        _ => throw new ArgumentOutOfRangeException(nameof(way), way, null),
    };

    /// <summary>The way named <paramref name="name"/>.</summary>
    public static bool TryParse(string name, out EvalWay way)
    {
        foreach (var candidate in All)
        {
            if (Name(candidate) == name)
            {
                way = candidate;
                return true;
            }
        }
        way = default;
        return false;
    }

    /// <summary><c>ballast serve --features</c> for the way: the stock driver's set, plus page-reporting unless there is no balloon.</summary>
    public static string DaemonFeatures(EvalWay way) =>
        way == EvalWay.NoBalloon ? "stats,deflate-on-oom" : "stats,deflate-on-oom,page-reporting";
}
