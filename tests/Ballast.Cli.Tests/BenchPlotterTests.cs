using Ballast.Cli.Output;
using Ballast.Cli.Tests.Infrastructure;

namespace Ballast.Cli.Tests;

public class BenchPlotterTests
{
    [Fact]
    public void RenderPng_ProducesAPngOfTheConfiguredSize()
    {
        var png = BenchPlotter.RenderPng(SampleReports.AllModes(), repeat: 3);

        Assert.Equal([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], png[..8]);
        // IHDR: width and height, big-endian, at bytes 16..23.
        Assert.Equal(BenchPlotter.Width, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16, 4)));
        Assert.Equal(BenchPlotter.Height, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20, 4)));
    }

    [Fact]
    public void RenderPng_HandlesNoFloorAndOneMode()
    {
        var report = SampleReports.AllModes(floorMs: 0);
        report = report with { Runs = [report.Runs[2]] };
        Assert.NotEmpty(BenchPlotter.RenderPng(report, repeat: 1));
    }

    [Fact]
    public void RenderPng_DrawsEveryBackingsRunsAndFloors() =>
        Assert.Equal([0x89, 0x50, 0x4E, 0x47], BenchPlotter.RenderPng(SampleReports.TwoBackings(), repeat: 3)[..4]);
}
