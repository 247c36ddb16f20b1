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
