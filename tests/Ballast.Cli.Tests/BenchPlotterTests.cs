using System.Buffers.Binary;
using System.Xml.Linq;
using Ballast.Cli.Output;
using Ballast.Cli.Tests.Infrastructure;
using Ballast.Simulation.Experiment;

namespace Ballast.Cli.Tests;

public class BenchPlotterTests
{
    private static readonly byte[] s_pngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    private static readonly BenchJsonHeader s_header = new(BenchTransport.InProcess, 3, "1.2.3+0123456789abcdef0123456789abcdef01234567");

    [Fact]
    public void RenderPng_ProducesAPngOfTheConfiguredSize()
    {
        var png = BenchPlotter.RenderPng(SampleReports.AllModes(), s_header);

        Assert.Equal(s_pngSignature, png[..8]);
        // IHDR: width and height, big-endian, at bytes 16..23.
        Assert.Equal(BenchPlotter.Width, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16, 4)));
        Assert.Equal(BenchPlotter.Height, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20, 4)));
        Assert.True(png.Length > 10_000, $"only {png.Length} bytes");
    }

    [Fact]
    public void RenderPng_DrawsTheTitleBandAndEveryPanel()
    {
        using var bitmap = SkiaSharp.SKBitmap.Decode(BenchPlotter.RenderPng(SampleReports.AllModes(), s_header));

        // Something (not all white) in the title band and in each of the three panels: one panel's drawing must not wipe another's.
        Assert.True(Inked(bitmap, 0, 0, bitmap.Width, 90), "the title band is blank");
        for (var i = 0; i < 3; i++)
            Assert.True(Inked(bitmap, (i * bitmap.Width / 3) + 60, 150, ((i + 1) * bitmap.Width / 3) - 10, bitmap.Height - 40), $"panel {i} is blank");
    }

    [Fact]
    public void RenderPng_FourModes_WidensTheImageForTheFourthPanel()
    {
        var report = SampleReports.AllModes();
        report = report with { Runs = [.. report.Runs, SampleRunsFor(BenchMode.Reporting)] };
        var png = BenchPlotter.RenderPng(report, s_header);

        Assert.Equal(4 * BenchPlotter.PanelWidth, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16, 4)));
    }

    [Fact]
    public void RenderSvg_ParsesAsXmlAndHoldsTheTitleAndEveryMode()
    {
        var svg = BenchPlotter.RenderSvg(SampleReports.AllModes(), s_header);

        var doc = XDocument.Parse(System.Text.Encoding.UTF8.GetString(svg));
        Assert.Equal("svg", doc.Root!.Name.LocalName);
        var text = string.Join("\n", doc.Descendants().Where(e => e.Name.LocalName == "text").Select(e => e.Value));
        foreach (var line in BenchPlotter.Title(SampleReports.AllModes(), s_header))
            Assert.Contains(line, text, StringComparison.Ordinal);
        foreach (var mode in new[] { "pfn-per-page", "pfn", "sg", "alloc", "send", "translate", "release" })
            Assert.Contains(mode, text, StringComparison.Ordinal);
    }

    [Fact]
    public void Title_HoldsTheWholeConfiguration()
    {
        var report = SampleReports.TwoBackings() with { Clean = true, ZeroOnAlloc = true, Profile = BenchProfile.Fragmented };
        var title = string.Join("\n", BenchPlotter.Title(report, s_header with { Transport = BenchTransport.VhostUser }));

        foreach (var part in new[] { "1.2.3+01234567", "inflate 7 GiB", "of 8 GiB guest RAM", "profile fragmented", "clean", "zero-on-alloc",
            "backing 4k, hugetlb", "release host-page", "transport vhost-user", "median of 3 runs" })
            Assert.Contains(part, title, StringComparison.Ordinal);
        Assert.DoesNotContain("0123456789abcdef0123", title, StringComparison.Ordinal);
    }

    [Fact]
    public void RenderPng_HandlesNoFloorAndOneMode()
    {
        var report = SampleReports.AllModes(floorMs: 0);
        report = report with { Runs = [report.Runs[2]] };
        Assert.Equal(s_pngSignature, BenchPlotter.RenderPng(report, s_header with { Repeat = 1 })[..8]);
    }

    [Fact]
    public void RenderPng_DrawsEveryBackingsRunsAndFloors() =>
        Assert.Equal(s_pngSignature, BenchPlotter.RenderPng(SampleReports.TwoBackings(), s_header)[..8]);

    private static bool Inked(SkiaSharp.SKBitmap bitmap, int left, int top, int right, int bottom)
    {
        var dark = 0;
        for (var y = top; y < bottom; y += 2)
        {
            for (var x = left; x < right; x += 2)
            {
                var pixel = bitmap.GetPixel(x, y);
                if (pixel.Red < 200 || pixel.Green < 200 || pixel.Blue < 200)
                    dark++;
            }
        }
        return dark > 50;
    }

    private static BenchRun SampleRunsFor(BenchMode mode) => Ballast.TestKit.SampleRuns.For(mode, 7L << 30, 8L << 30);
}
