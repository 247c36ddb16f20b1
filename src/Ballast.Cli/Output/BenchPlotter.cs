using System.Globalization;
using Ballast.Simulation.Experiment;
using Ballast.Virtio.Units;
using ScottPlot;
using SkiaSharp;

namespace Ballast.Cli.Output;

/// <summary>
/// Draws the inflate breakdown of a <see cref="BenchReport"/> for <c>ballast bench --plot</c>, as PNG or SVG (by the
/// file's extension): a title band with the whole configuration and the legend, then <b>one panel per mode</b>, each
/// with its own linear millisecond axis, holding one stacked bar per backing (alloc, send, translate, release), the
/// floor as a dashed line, and the mode's total and its ratio to the floor in the panel's title.
/// </summary>
/// <remarks>
/// Why panels and not a log scale: <c>pfn-per-page</c> is often 25× slower than <c>sg</c>, so on one linear axis
/// the fast modes are a few pixels high. A log axis would fix the heights but not the stacks — on a log scale the
/// segments of a stacked bar no longer show each stage's share (the first segment takes most of the height whatever
/// it is). A panel per mode keeps every bar's breakdown proportional; the totals, and their ratios to the floor, are
/// written in each panel's title so that modes compare by number rather than by eye.
/// </remarks>
public static class BenchPlotter
{
    /// <summary>Width of the image in pixels with up to three panels; <see cref="PanelWidth"/> per panel beyond that.</summary>
    public const int Width = 900;

    /// <summary>Height of the image in pixels.</summary>
    public const int Height = 600;

    /// <summary>Width given to each panel once there are more than three.</summary>
    public const int PanelWidth = 300;

    /// <summary>Height of the band above the panels holding the title lines and the legend.</summary>
    private const int BandHeight = 92;

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
        var installed = SKFontManager.Default.FontFamilies.ToHashSet(StringComparer.OrdinalIgnoreCase);
        return s_preferredFonts.FirstOrDefault(installed.Contains) ?? Fonts.Default;
    });

    /// <summary>The image formats <c>--plot</c> writes, by file extension.</summary>
    public static IReadOnlyList<string> Extensions { get; } = [".png", ".svg"];

    /// <summary>The image width for <paramref name="panels"/> panels.</summary>
    public static int WidthFor(int panels) => Math.Max(Width, panels * PanelWidth);

    /// <summary>
    /// Renders <paramref name="report"/> and saves it at <paramref name="path"/> (replaced if it exists): SVG if the
    /// name ends in <c>.svg</c>, else PNG.
    /// </summary>
    /// <param name="report">The report, one run per mode and backing (already aggregated).</param>
    /// <param name="header">Transport, repeat count and version, for the title.</param>
    /// <param name="path">The file to write.</param>
    public static void Save(BenchReport report, BenchJsonHeader header, string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var bytes = string.Equals(Path.GetExtension(path), ".svg", StringComparison.OrdinalIgnoreCase)
            ? RenderSvg(report, header)
            : RenderPng(report, header);
        File.WriteAllBytes(path, bytes);
    }

    /// <summary>The PNG bytes of the plot of <paramref name="report"/>.</summary>
    public static byte[] RenderPng(BenchReport report, BenchJsonHeader header)
    {
        var (width, plots, title) = Build(report, header);
        using var surface = SKSurface.Create(new SKImageInfo(width, Height)) ?? throw new InvalidOperationException("SkiaSharp could not create a surface");
        Draw(surface.Canvas, width, plots, title);
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>The SVG document (UTF-8) of the plot of <paramref name="report"/>.</summary>
    public static byte[] RenderSvg(BenchReport report, BenchJsonHeader header)
    {
        var (width, plots, title) = Build(report, header);
        using var stream = new MemoryStream();
        // The SVG is complete only once the canvas is disposed.
        using (var canvas = SKSvgCanvas.Create(new SKRect(0, 0, width, Height), stream))
            Draw(canvas, width, plots, title);
        return stream.ToArray();
    }

    /// <summary>
    /// The two title lines: what ran and on what — version, guest and inflate size, profile, clean or used-once memory,
    /// zero-on-alloc, backing(s), release granularity, transport and how many runs each bar is the median of.
    /// </summary>
    public static IReadOnlyList<string> Title(BenchReport report, BenchJsonHeader header)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(header);
        var version = header.Version;
        // 1.0.0+<40 hex digits>: the first 8 of the commit are enough to find it.
        var plus = version.IndexOf('+', StringComparison.Ordinal);
        if (plus >= 0 && version.Length > plus + 9)
            version = version[..(plus + 9)];
        var backings = report.Runs.Select(run => run.Backing).Distinct().Select(BenchBackings.Name).ToList();
        if (backings.Count == 0)
            backings.Add(BenchBackings.Name(BenchBacking.Pages4K));
        var inv = CultureInfo.InvariantCulture;
        return
        [
            string.Create(inv, $"ballast bench {version}: inflate {SizeFormatter.Format(report.InflateBytes)} of "
                + $"{SizeFormatter.Format(report.GuestMemBytes)} guest RAM, profile {BenchProfiles.Name(report.Profile)}, "
                + $"{(report.Clean ? "clean (never-touched) memory" : "used-once memory")}{(report.ZeroOnAlloc ? ", zero-on-alloc" : string.Empty)}"),
            string.Create(inv, $"backing {string.Join(", ", backings)}, release {ReleaseGranularities.Name(report.ReleaseGranularity)}, "
                + $"transport {BenchJsonHeader.TransportName(header.Transport)}, "
                + $"{(header.Repeat > 1 ? $"median of {header.Repeat} runs" : "1 run")} per bar"),
        ];
    }

    private static (int Width, IReadOnlyList<Plot> Plots, IReadOnlyList<string> Title) Build(BenchReport report, BenchJsonHeader header)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(header);
        var modes = report.Runs.Select(run => run.Mode).Distinct().ToList();
        var plots = modes.Select(mode => Panel(report, mode, [.. report.Runs.Where(run => run.Mode == mode)])).ToList();
        return (WidthFor(plots.Count), plots, Title(report, header));
    }

    /// <summary>One mode's panel: a stacked bar per backing, floor line(s), total and ratio to the floor in the title.</summary>
    private static Plot Panel(BenchReport report, BenchMode mode, IReadOnlyList<BenchRun> runs)
    {
        var plot = new Plot();
        plot.Font.Set(s_fontFamily.Value);
        var several = runs.Count > 1;
        var tallest = runs.Max(run => s_stages.Sum(stage => Math.Max(0, stage.Ms(run))));

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
                    Label = ms >= 0.07 * tallest ? Ms(ms) : string.Empty,
                    CenterLabel = true,
                });
                bottom += ms;
            }

            if (several)
            {
                var total = plot.Add.Text(Ms(bottom), i, bottom);
                total.LabelAlignment = Alignment.LowerCenter;
                total.LabelFontSize = 14;
                total.LabelBold = true;
                total.LabelOffsetY = -4;
            }

            var floorMs = report.FloorFor(runs[i].Backing);
            if (floorMs > 0 && double.IsFinite(floorMs))
            {
                // Across this bar only when several backings share the panel (each has its own floor), else across the panel.
                if (several)
                    AddDashedLine(plot, i - 0.45, i + 0.45, floorMs);
                else
                    AddDashedLine(plot, -0.6, runs.Count - 0.4, floorMs);
            }
        }

        var barPlot = plot.Add.Bars(bars);
        barPlot.ValueLabelStyle.FontSize = 12;
        barPlot.ValueLabelStyle.ForeColor = Colors.White;
        barPlot.ValueLabelStyle.Bold = true;

        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            [.. Enumerable.Range(0, runs.Count).Select(i => (double)i)],
            [.. runs.Select(run => several ? BenchBackings.Name(run.Backing) : $"floor {Ms(report.FloorFor(run.Backing))}")]);
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.Axes.Bottom.TickLabelStyle.FontSize = 13;
        // Room above the tallest bar (and the floor, which may be higher on a fast mode) for the labels.
        var top = Math.Max(tallest, runs.Max(run => report.FloorFor(run.Backing)));
        plot.Axes.SetLimitsX(-0.6, runs.Count - 0.4);
        plot.Axes.SetLimitsY(0, top > 0 ? top * 1.12 : 1);
        plot.YLabel("ms");
        plot.Axes.Left.Label.FontSize = 13;

        var name = BenchModes.Name(mode);
        if (several)
        {
            plot.Title(name);
        }
        else
        {
            var total = s_stages.Sum(stage => Math.Max(0, stage.Ms(runs[0])));
            var floorMs = report.FloorFor(runs[0].Backing);
            var ratio = floorMs > 0 && double.IsFinite(floorMs)
                ? string.Create(CultureInfo.InvariantCulture, $" = {total / floorMs:0.0}× floor")
                : string.Empty;
            plot.Title($"{name}\n{Ms(total)}{ratio}");
        }
        plot.Axes.Title.Label.FontSize = 15;
        return plot;
    }

    /// <summary>
    /// A dashed black line from <paramref name="x0"/> to <paramref name="x1"/> at <paramref name="y"/>, drawn as segments:
    /// Skia's SVG backend has no path effects, so a dash pattern would come out solid (and complain on stderr).
    /// </summary>
    private static void AddDashedLine(Plot plot, double x0, double x1, double y)
    {
        const double Dash = 0.06, Gap = 0.04;
        for (var x = x0; x < x1; x += Dash + Gap)
        {
            var line = plot.Add.Line(x, y, Math.Min(x + Dash, x1), y);
            line.Color = Colors.Black;
            line.LineWidth = 2;
            line.MarkerSize = 0;
        }
    }

    private static void Draw(SKCanvas canvas, int width, IReadOnlyList<Plot> plots, IReadOnlyList<string> title)
    {
        canvas.Clear(SKColors.White);
        var panelWidth = (float)(width / Math.Max(1, plots.Count));
        for (var i = 0; i < plots.Count; i++)
        {
            using var plot = plots[i];
            // ScottPlot clears the canvas before drawing a plot: clipped, that clears its own panel only.
            canvas.Save();
            canvas.ClipRect(new SKRect(i * panelWidth, BandHeight, (i + 1) * panelWidth, Height));
            plot.Render(canvas, new PixelRect(new Pixel(i * panelWidth, BandHeight), new Pixel((i + 1) * panelWidth, Height)));
            canvas.Restore();
        }

        using var typeface = SKTypeface.FromFamilyName(s_fontFamily.Value);
        using var titleFont = new SKFont(typeface, 17);
        using var legendFont = new SKFont(typeface, 14);
        using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };

        var y = 26f;
        foreach (var line in title)
        {
            canvas.DrawText(line, width / 2f, y, SKTextAlign.Center, titleFont, ink);
            y += 24;
        }

        // The legend, once for all panels: the four stages and the floor.
        var items = s_stages.Select(stage => (stage.Name, Color: (SKColor?)new SKColor(stage.Color.R, stage.Color.G, stage.Color.B))).ToList();
        items.Add(("floor (same pages, no device)", null));
        var itemWidths = items.Select(item => 22 + legendFont.MeasureText(item.Name) + 24).ToList();
        var x = (width - itemWidths.Sum()) / 2;
        y += 6;
        for (var i = 0; i < items.Count; i++)
        {
            if (items[i].Color is { } color)
            {
                using var fill = new SKPaint { Color = color, IsAntialias = true };
                canvas.DrawRect(x, y - 12, 16, 14, fill);
            }
            else
            {
                using var dash = new SKPaint { Color = SKColors.Black, StrokeWidth = 2, IsStroke = true };
                canvas.DrawLine(x, y - 5, x + 5, y - 5, dash);
                canvas.DrawLine(x + 8, y - 5, x + 13, y - 5, dash);
                canvas.DrawLine(x + 16, y - 5, x + 21, y - 5, dash);
            }
            canvas.DrawText(items[i].Name, x + 22, y, SKTextAlign.Left, legendFont, ink);
            x += itemWidths[i];
        }

        if (plots.Count == 0)
            canvas.DrawText("no runs", width / 2f, (BandHeight + Height) / 2f, SKTextAlign.Center, titleFont, ink);
    }

    private static string Ms(double ms) => string.Create(CultureInfo.InvariantCulture, $"{ms:0.0} ms");
}
