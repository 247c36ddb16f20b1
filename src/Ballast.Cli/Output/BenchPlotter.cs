using System.Globalization;
using Ballast.Simulation.Experiment;
using Ballast.Virtio.Units;
using ScottPlot;

namespace Ballast.Cli.Output;

/// <summary>
/// Draws the inflate breakdown of a <see cref="BenchReport"/> for <c>ballast bench --plot</c>: one
/// stacked bar per mode (alloc, send, translate, release), labelled with the mode and its total,
/// a legend, a y axis in ms, and the floor as a dashed horizontal line.
/// </summary>
public static class BenchPlotter
{
    /// <summary>Width of the PNG in pixels.</summary>
    public const int Width = 900;

    /// <summary>Height of the PNG in pixels.</summary>
    public const int Height = 600;

    private static readonly (string Name, Func<BenchRun, double> Ms, Color Color)[] s_stages =
    [
        ("alloc", run => run.AllocMs, Color.FromHex("#4E79A7")),
        ("send", run => run.SendMs, Color.FromHex("#F28E2B")),
        ("translate", run => run.TranslateMs, Color.FromHex("#59A14F")),
        ("release", run => run.ReleaseMs, Color.FromHex("#E15759")),
    ];

    /// <summary>Sans-serif families to prefer, in order; ScottPlot's own pick on Linux is often DejaVu Serif.</summary>
    private static readonly string[] s_preferredFonts = ["DejaVu Sans", "Liberation Sans", "Noto Sans", "Arial", "Helvetica"];

    private static readonly Lazy<string> s_fontFamily = new(() =>
    {
        var installed = SkiaSharp.SKFontManager.Default.FontFamilies.ToHashSet(StringComparer.OrdinalIgnoreCase);
        return s_preferredFonts.FirstOrDefault(installed.Contains) ?? Fonts.Default;
    });

    /// <summary>Renders <paramref name="report"/> and saves it as a PNG at <paramref name="path"/>.</summary>
    /// <param name="report">The report, one run per mode (already aggregated).</param>
    /// <param name="repeat">How many runs each bar is the median of; said in the title when above 1.</param>
    /// <param name="path">The PNG file to write (replaced if it exists).</param>
    public static void SavePng(BenchReport report, int repeat, string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var plot = Build(report, repeat);
        plot.SavePng(path, Width, Height);
    }

    /// <summary>The PNG bytes of the plot of <paramref name="report"/>.</summary>
    public static byte[] RenderPng(BenchReport report, int repeat)
    {
        using var plot = Build(report, repeat);
        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }

    private static Plot Build(BenchReport report, int repeat)
    {
        ArgumentNullException.ThrowIfNull(report);
        var plot = new Plot();
        var runs = report.Runs;

        plot.Font.Set(s_fontFamily.Value);
        var tallest = runs.Count == 0 ? 0 : runs.Max(run => s_stages.Sum(stage => Math.Max(0, stage.Ms(run))));

        var bars = new List<Bar>();
        for (var i = 0; i < runs.Count; i++)
        {
            var bottom = 0.0;
            foreach (var (_, stageMs, color) in s_stages)
            {
                var ms = Math.Max(0, stageMs(runs[i]));
                bars.Add(new Bar
                {
                    Position = i,
                    ValueBase = bottom,
                    Value = bottom + ms,
                    FillColor = color,
                    LineWidth = 0,
                    // Only segments tall enough to hold their text are labelled inside.
                    Label = ms >= 0.06 * tallest ? Ms(ms) : string.Empty,
                    CenterLabel = true,
                });
                bottom += ms;
            }

            // The total (the four stages drawn) above each bar.
            var total = plot.Add.Text(Ms(bottom), i, bottom);
            total.LabelAlignment = Alignment.LowerCenter;
            total.LabelFontSize = 15;
            total.LabelBold = true;
            total.LabelOffsetY = -4;
        }

        var barPlot = plot.Add.Bars(bars);
        barPlot.ValueLabelStyle.FontSize = 13;
        barPlot.ValueLabelStyle.ForeColor = Colors.White;
        barPlot.ValueLabelStyle.Bold = true;

        foreach (var (name, _, color) in s_stages)
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = name, FillColor = color });

        // One floor per backing (the report's own when it names none); each backing's bars are labelled with it when there are several.
        var backings = runs.Select(run => run.Backing).Distinct().ToList();
        var several = backings.Count > 1;
        IReadOnlyList<(string Name, double Ms)> floors = several
            ? [.. backings.Select(backing => ($"floor {BenchBackings.Name(backing)}", report.FloorFor(backing)))]
            : [("floor", report.FloorMs)];
        var patterns = new[] { LinePattern.Dashed, LinePattern.Dotted, LinePattern.DenselyDashed };
        for (var i = 0; i < floors.Count; i++)
        {
            var (name, floorMs) = floors[i];
            if (floorMs <= 0 || !double.IsFinite(floorMs))
                continue;
            var floor = plot.Add.HorizontalLine(floorMs);
            floor.Color = Colors.Black;
            floor.LineWidth = 2;
            floor.LinePattern = patterns[i % patterns.Length];
            plot.Legend.ManualItems.Add(new LegendItem
            {
                LabelText = $"{name} {Ms(floorMs)}",
                LineColor = Colors.Black,
                LineWidth = 2,
                LinePattern = patterns[i % patterns.Length],
            });
        }

        // Outside the data area, so that it never hides a bar.
        plot.ShowLegend(Edge.Right);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            [.. Enumerable.Range(0, runs.Count).Select(i => (double)i)],
            [.. runs.Select(run => several ? $"{BenchBackings.Name(run.Backing)}\n{BenchModes.Name(run.Mode)}" : BenchModes.Name(run.Mode))]);
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.Axes.Bottom.TickLabelStyle.FontSize = 16;
        plot.Axes.Margins(bottom: 0, top: 0.12);
        plot.YLabel("ms");
        plot.XLabel(several ? "backing, mode" : "mode");

        var title = string.Create(CultureInfo.InvariantCulture,
            $"ballast bench: inflate {SizeFormatter.Format(report.InflateBytes)} of {SizeFormatter.Format(report.GuestMemBytes)}, {BenchProfiles.Name(report.Profile)}");
        if (repeat > 1)
            title += string.Create(CultureInfo.InvariantCulture, $" (median of {repeat})");
        plot.Title(title);
        return plot;
    }

    private static string Ms(double ms) => string.Create(CultureInfo.InvariantCulture, $"{ms:0.0} ms");
}
