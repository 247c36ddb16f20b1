using System.Text.Json;
using Ballast.Cli.Tests.Infrastructure;
using Ballast.Daemon;

namespace Ballast.Cli.Tests;

public sealed class BenchCommandPlotTests : IDisposable
{
    private static readonly byte[] s_pngSignature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    private readonly string _directory = Directory.CreateTempSubdirectory("ballast-plot-").FullName;

    [Fact]
    public async Task Plot_WritesAPng()
    {
        using var engine = new FakeBenchEngine();
        var path = Path.Combine(_directory, "bench.png");
        var result = await CliHarness.RunAsync(engine, "bench", "--plot", path);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("plot written to", result.StdErr, StringComparison.Ordinal);
        var bytes = await File.ReadAllBytesAsync(path);
        Assert.True(bytes.Length > 10_000, $"PNG has only {bytes.Length} bytes");
        Assert.Equal(s_pngSignature, bytes[..8]);
    }

    [Fact]
    public async Task Plot_SvgName_WritesAnSvgWithTheConfigurationInItsTitle()
    {
        using var engine = new FakeBenchEngine();
        var path = Path.Combine(_directory, "bench.svg");
        var result = await CliHarness.RunAsync(engine, "bench", "--plot", path, "--guest-mem", "4G", "--inflate", "3G", "--repeat", "2");

        Assert.Equal(0, result.ExitCode);
        var doc = System.Xml.Linq.XDocument.Load(path);
        Assert.Equal("svg", doc.Root!.Name.LocalName);
        var text = string.Concat(doc.Descendants().Where(e => e.Name.LocalName == "text").Select(e => e.Value));
        Assert.Contains("inflate 3 GiB of 4 GiB guest RAM", text, StringComparison.Ordinal);
        Assert.Contains("median of 2 runs", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plot_WithJson_KeepsStdoutToTheJsonObject()
    {
        using var engine = new FakeBenchEngine();
        var path = Path.Combine(_directory, "bench-json.png");
        var result = await CliHarness.RunAsync(engine, "bench", "--json", "--repeat", "2", "--plot", path);

        Assert.Equal(0, result.ExitCode);
        using var doc = JsonDocument.Parse(result.StdOut);
        Assert.Equal(s_pngSignature, (await File.ReadAllBytesAsync(path))[..8]);
    }

    [Theory]
    [InlineData("bench.jpg", "ending in .png or .svg")]
    [InlineData("missing/bench.png", "does not exist")]
    public async Task Plot_BadPath_IsRejectedBeforeTheRun(string relative, string expected)
    {
        using var engine = new FakeBenchEngine();
        var result = await CliHarness.RunAsync(engine, "bench", "--plot", Path.Combine(_directory, relative));

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains(expected, result.StdErr, StringComparison.Ordinal);
        Assert.Equal(0, engine.FactoryCalls);
        Assert.Empty(engine.Calls);
    }

    [Fact]
    public async Task Plot_DirectoryPath_IsRejected()
    {
        using var engine = new FakeBenchEngine();
        var directory = Path.Combine(_directory, "dir.png");
        Directory.CreateDirectory(directory);
        var result = await CliHarness.RunAsync(engine, "bench", "--plot", directory);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("is a directory", result.StdErr, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
