using Ballast.Balloon.Device;
using Ballast.Simulation.Experiment;

namespace Ballast.Simulation.Tests.Experiment;

/// <summary>The one experiment, over either transport, returns the measurements the CLI reports.</summary>
public sealed class ExperimentRigTests
{
    private const ulong MiB = 1UL << 20;

    [Theory]
    [InlineData(BenchTransport.VhostUser, true, ReleasePolicy.Coalesce)]
    [InlineData(BenchTransport.VhostUser, false, ReleasePolicy.PerPage)]
    [InlineData(BenchTransport.InProcess, true, ReleasePolicy.Coalesce)]
    [InlineData(BenchTransport.InProcess, false, ReleasePolicy.PerPage)]
    public void Measure_InflatesDeflatesAndChecksIntegrity(BenchTransport transport, bool sg, ReleasePolicy release)
    {
        var reports = new List<ulong>();
        using var rig = ExperimentRig.Create(transport, new ExperimentSetup { GuestMemBytes = 64 * MiB, ScatterGather = sg, Release = release });

        var m = BalloonExperiment.Measure(rig.Guest, rig.Device, rig.Driver, 32 * MiB / 4096, new SyncProgress(reports.Add));

        Assert.Equal("ok", m.Integrity);
        Assert.Equal((long)(32 * MiB / 4096), m.Pages);
        Assert.Equal((long)(32 * MiB), m.HostBytesBefore - m.HostBytesAfter);
        Assert.True(m.TotalMs > 0 && m.DeflateMs > 0);
        Assert.True(m.Buffers > 0 && m.Kicks > 0 && m.Runs > 0 && m.ReleaseCalls > 0);
        Assert.InRange(Math.Abs(m.TotalMs - (m.AllocMs + m.SendMs + m.TranslateMs + m.ReleaseMs)), 0, 0.1);
        if (!sg)
            Assert.Equal(m.Pages, m.ReleaseCalls);
        Assert.Equal(32 * MiB / 4096, reports[^1]);
    }

    [Theory]
    [InlineData(BenchTransport.InProcess)]
    [InlineData(BenchTransport.VhostUser)]
    public void MeasureReporting_GivesTheFreedMemoryBackWithoutBallooning(BenchTransport transport)
    {
        var reports = new List<ulong>();
        using var rig = ExperimentRig.Create(transport, new ExperimentSetup { GuestMemBytes = 64 * MiB, PageReporting = true });
        var pages = 32 * MiB / 4096;

        var m = ReportingExperiment.Measure(rig.Guest, rig.Device, rig.Driver, pages, new SyncProgress(reports.Add));

        Assert.Equal("ok", m.Integrity);
        Assert.Equal((long)(32 * MiB), m.HostBytesBefore - m.HostBytesAfter);
        Assert.Equal(0UL, rig.Device.BalloonedPages);
        // The freed pages merge with free neighbours reported before, which are reported again with them.
        Assert.True(m.Pages >= (long)pages);
        Assert.True(m.Reports > 0 && m.ReportPasses > 0);
        Assert.Equal(m.Reports, m.Buffers);
        Assert.Equal(m.ReportedEntries, m.Runs);   // the guest's entries (its counters) = the device's (its counters)
        Assert.Equal(m.ReportPasses * 2000.0, m.ReportDelayMs);
        Assert.Equal(0, m.DeflateMs);
        Assert.Equal((ulong)m.Pages, reports[^1]);
    }

    [Fact]
    public void MeasureReporting_WithoutTheFeature_Throws()
    {
        using var rig = ExperimentRig.Create(BenchTransport.InProcess, new ExperimentSetup { GuestMemBytes = 32 * MiB });

        var e = Assert.Throws<InvalidOperationException>(() => ReportingExperiment.Measure(rig.Guest, rig.Device, rig.Driver, 1024));

        Assert.Contains("PAGE_REPORTING", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Dispose_OverVhostUser_RemovesTheSocketAndItsDirectory()
    {
        var rig = (VhostUserRig)ExperimentRig.Create(BenchTransport.VhostUser, new ExperimentSetup { GuestMemBytes = 32 * MiB });
        Assert.True(File.Exists(rig.SocketPath));

        rig.Dispose();

        Assert.False(Directory.Exists(Path.GetDirectoryName(rig.SocketPath)));
    }

    private sealed class SyncProgress(Action<ulong> report) : IProgress<ulong>
    {
        public void Report(ulong value) => report(value);
    }
}
