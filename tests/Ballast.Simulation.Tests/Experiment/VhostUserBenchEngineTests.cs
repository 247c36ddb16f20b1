using Ballast.Balloon.Device;
using Ballast.Simulation.Guest;
using Ballast.Simulation.Experiment;

namespace Ballast.Simulation.Tests.Experiment;

/// <summary>The bench engine over the real protocol returns the measurements the CLI reports.</summary>
public sealed class VhostUserBenchEngineTests
{
    private const ulong MiB = 1UL << 20;

    [Theory]
    [InlineData(true, ReleasePolicy.Coalesce)]
    [InlineData(false, ReleasePolicy.PerPage)]
    public void Measure_InflatesDeflatesAndChecksIntegrity(bool sg, ReleasePolicy release)
    {
        var reports = new List<ulong>();
        var engine = new VhostUserBenchEngine();

        var m = engine.Measure(64 * MiB, 32 * MiB, sg, release, GuestProfile.Idle, clean: false, zeroOnAlloc: false,
            new SyncProgress(reports.Add));

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

    private sealed class SyncProgress(Action<ulong> report) : IProgress<ulong>
    {
        public void Report(ulong value) => report(value);
    }
}
