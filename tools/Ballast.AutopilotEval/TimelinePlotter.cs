using System.Globalization;
using ScottPlot;
using SkiaSharp;

namespace Ballast.AutopilotEval;

/// <summary>
/// The evaluation's timeline as a PNG: one panel per way, stacked, on the same time axis and the same MiB axis — host
/// memory behind each guest's RAM (solid), each balloon's target (dashed, same colour; none without the autopilot), and
/// the host's memory PSI "some" avg10 (grey, right axis, percent).
/// </summary>
public static class TimelinePlotter
{
    /// <summary>Sans-serif families to prefer, in order; ScottPlot's own pick on Linux is often DejaVu Serif.</summary>
    private static readonly string[] s_preferredFonts = ["DejaVu Sans", "Liberation Sans", "Noto Sans", "Arial", "Helvetica"];

    private static readonly Lazy<string> s_fontFamily = new(() =>
    {
        var installed = SKFontManager.Default.FontFamilies.ToHashSet(StringComparer.OrdinalIgnoreCase);
        return s_preferredFonts.FirstOrDefault(installed.Contains) ?? Fonts.Default;
    });

    /// <summary>Width in pixels.</summary>
    public const int Width = 1200;

    /// <summary>Height of one panel in pixels.</summary>
    public const int PanelHeight = 330;

    private static readonly Color[] s_guestColors = [Color.FromHex("#4E79A7"), Color.FromHex("#E15759"), Color.FromHex("#59A14F"), Color.FromHex("#F28E2B")];

    /// <summary>Renders <paramref name="runs"/> and writes the PNG to <paramref name="path"/>.</summary>
    public static void Save(IReadOnlyList<EvalRun> runs, string path)
    {
        ArgumentNullException.ThrowIfNull(runs);
        ArgumentException.ThrowIfNullOrEmpty(path);
        File.WriteAllBytes(path, RenderPng(runs));
    }

    /// <summary>The PNG bytes.</summary>
    public static byte[] RenderPng(IReadOnlyList<EvalRun> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var height = PanelHeight * Math.Max(1, runs.Count);
        var top = runs.Count == 0 ? 1 : runs.Max(r => r.Ticks.Count == 0 ? 0 : r.Ticks.Max(t => t.Guests.Max(g => Math.Max(g.HostBytes, g.TargetBytes ?? 0)))) / (double)(1 << 20);
        var duration = runs.Count == 0 ? 1 : runs.Max(r => r.Scenario.DurationSeconds);
        using var surface = SKSurface.Create(new SKImageInfo(Width, height)) ?? throw new InvalidOperationException("SkiaSharp could not create a surface");
        surface.Canvas.Clear(SKColors.White);
        for (var i = 0; i < runs.Count; i++)
        {
            using var plot = Panel(runs[i], top * 1.1, duration);
            // ScottPlot clears the canvas before drawing a plot: clipped, that clears its own panel only.
            surface.Canvas.Save();
            surface.Canvas.ClipRect(new SKRect(0, i * PanelHeight, Width, (i + 1) * PanelHeight));
            plot.Render(surface.Canvas, new PixelRect(new Pixel(0, i * PanelHeight), new Pixel(Width, (i + 1) * PanelHeight)));
            surface.Canvas.Restore();
        }
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    private static Plot Panel(EvalRun run, double topMiB, double duration)
    {
        var plot = new Plot();
        plot.Font.Set(s_fontFamily.Value);
        var x = run.Ticks.Select(t => t.Seconds).ToArray();
        for (var g = 0; g < run.Scenario.Guests; g++)
        {
            var color = s_guestColors[g % s_guestColors.Length];
            var host = plot.Add.ScatterLine(x, run.Ticks.Select(t => t.Guests[g].HostBytes / (double)(1 << 20)).ToArray());
            host.Color = color;
            host.LineWidth = 2;
            host.LegendText = $"guest {g} host memory";
            if (run.Way == EvalWay.Autopilot)
            {
                var target = plot.Add.ScatterLine(x, run.Ticks.Select(t => (t.Guests[g].TargetBytes ?? 0) / (double)(1 << 20)).ToArray());
                target.Color = color;
                target.LineWidth = 1.5f;
                target.LinePattern = LinePattern.Dashed;
                target.LegendText = $"guest {g} balloon target";
            }
        }
        var psi = plot.Add.ScatterLine(x, run.Ticks.Select(t => t.PsiSomeAvg10 ?? 0).ToArray());
        psi.Color = Colors.Gray;
        psi.LineWidth = 1;
        psi.LegendText = "host PSI memory some avg10 (%, right)";
        psi.Axes.YAxis = plot.Axes.Right;
        plot.Axes.Right.Label.Text = "PSI some avg10, %";
        plot.Axes.SetLimitsY(0, Math.Max(10, run.Ticks.Count == 0 ? 0 : run.Ticks.Max(t => t.PsiSomeAvg10 ?? 0) * 1.2), plot.Axes.Right);
        plot.Axes.SetLimits(0, duration, 0, topMiB);
        plot.Axes.Left.Label.Text = "MiB";
        plot.Axes.Bottom.Label.Text = "seconds";
        var s = run.Summary;
        plot.Title(string.Create(CultureInfo.InvariantCulture,
            $"{run.WayName}: mean host memory {s.MeanHostBytes / (1 << 20):0} MiB (sum of {run.Scenario.Guests} guests), OOM kills {s.OomKills}, p99 chunk {s.ChunkP99Ms:0} ms"));
        plot.ShowLegend(Alignment.UpperRight);
        plot.Legend.FontSize = 10;
        return plot;
    }
}
