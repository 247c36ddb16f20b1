using System.Diagnostics;
using System.Globalization;
using Ballast.GuestLab;
using Ballast.GuestBench;
using Ballast.Guest.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Ballast.Guest.Tests;

/// <summary>
/// A soak of the daemon under a real guest: for <c>BALLAST_SOAK_SECONDS</c> (default 120; CI runs that, 1800 gives
/// the 30-minute figure) a 2 GiB guest that dirtied 1600 MiB at boot gets a random balloon target (seeded, 0–1 GiB)
/// every 0.5–3 s, starts a few small hogs that check their pages every second, has statistics polled every second,
/// and three API clients query <c>GET /balloon</c>, <c>/balloon/statistics</c> and <c>/metrics</c> without let-up.
/// The daemon's RSS and open descriptors are read every second and must stay flat after a warm-up; at the end the
/// balloon settles on a last target, the host memory behind guest RAM follows it, and the guest is healthy.
/// </summary>
/// <remarks>
/// The driver is the stock virtio_balloon against the daemon's defaults (synchronous release): it talks to the
/// device the most — a buffer of 256 pages and a config read and write per MiB — so a per-message leak shows
/// soonest. <c>BALLAST_SOAK_DRIVER=sg</c> (or <c>sg-highorder</c>) soaks Ballast's module with SG, must-tell-host
/// and <c>--defer-release</c> instead. One summary line goes to the test output, stdout and
/// <c>$TMPDIR/ballast-soak-summary.txt</c>; every reading to <c>$TMPDIR/ballast-soak-samples.csv</c>.
/// </remarks>
[Collection(GuestCollection.Name)]
public sealed class SoakTests(GuestFixture fixture, ITestOutputHelper output)
{
    private const long MiB = 1L << 20;
    private const long GuestRamBytes = 2L << 30;
    private const int Seed = 20261127;
    private const int DefaultSeconds = 120;
    private const int MinSeconds = 40;

    /// <summary>Targets are whole MiB from 0 to this: at most half the guest.</summary>
    private const int MaxTargetMib = 1024;

    /// <summary>The last target: the largest, so "host memory ≤ guest RAM − actual" is the tightest bound the soak allows.</summary>
    private const long FinalTargetBytes = MaxTargetMib * MiB;

    /// <summary>
    /// Hogs, one every duration/Hogs from the start: 6 × 32 MiB = 192 MiB, which with the largest balloon (1 GiB) and the
    /// kernel and initramfs (≈ 60 MiB) leaves ≈ 770 MiB of the 2 GiB free, so nothing comes near the OOM killer
    /// (deflate-on-oom is negotiated, but it must not be needed).
    /// </summary>
    private const int Hogs = 6;

    private const int HogMib = 32;

    /// <summary>API clients in parallel with the test's own (which sets the targets).</summary>
    private const int ApiClients = 3;

    /// <summary>
    /// Each client pauses this long after an answer: ≈ 75 requests a second each here, so the daemon serves ≈ 220 a second
    /// while the TCG vCPU keeps its core of the machine's two.
    /// </summary>
    private static readonly TimeSpan s_apiPause = TimeSpan.FromMilliseconds(10);

    private static readonly TimeSpan s_sampleInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_minWarmup = TimeSpan.FromSeconds(20);

    /// <summary>
    /// How far the daemon's VmRSS may rise above its value at the end of the warm-up. The daemon runs the workstation
    /// concurrent GC, whose gen0 budget is at most 6 MiB: between collections the heap grows by up to that, gen1/gen2
    /// collections and the GC's lazy decommit of free regions move it by a few MiB more, and the JIT keeps adding code
    /// (RssShmem: the runtime double-maps JIT'ed code through a memfd) for paths that tier up or are first hit after the
    /// warm-up. 24 MiB is four gen0 budgets: above that noise (a 2-minute run here moved 0.7 MiB), yet the ≈ 20 000 API
    /// requests after a 2-minute run's warm-up exceed it with a leak of 1.2 KiB each, the ≈ 300 000 of the 30-minute run
    /// with 85 bytes each; the slopes in the summary show smaller ones.
    /// </summary>
    private const long RssMarginKib = 24 * 1024;

    /// <summary>
    /// How many descriptors the daemon may have above its count at the end of the warm-up. Its steady set is fixed (≈ 200
    /// here, most of them the runtime's handles on the assemblies it loaded; then the vhost-user connection, guest RAM,
    /// eventfds, epoll, the API listener and one keep-alive connection per client), but
    /// a reading can catch one that lives for microseconds: the runtime opens cgroup and /proc files to read the memory
    /// load at a garbage collection, and an API connection the client replaces is accepted before the old one's close
    /// is seen. Two covers both at once; a leak of one per request, per target or per statistics poll passes 2 within
    /// seconds.
    /// </summary>
    private const int FdMargin = 2;

    /// <summary>
    /// How much host memory behind guest RAM (the memfd's st_blocks) may exceed guest RAM − actual: nothing. With actual =
    /// ballooned and no release pending, every ballooned page is a hole in a file of exactly guest RAM, and st_blocks
    /// counts exactly the pages the file holds (shmem THP is off on this host and there is no swap), so the bound is
    /// exact and needs no slack; reading the state after the file cannot make it fail falsely either (actual can then only
    /// fall below the fixed target, which raises the bound). What the guest never touched is a hole too, so the file sits far
    /// below the bound (634 of 1024 MiB in a 2-minute run); a release that was skipped, or a released page that something
    /// faulted back in, pushes it over.
    /// </summary>
    private const long HostSlackBytes = 0;

    private static readonly TimeSpan s_balloonTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan s_hogTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Soak_RandomTargetsHogsAndApiClients_DaemonRssAndFdsFlat_HostMemoryFollowsActual_GuestHealthy()
    {
        var duration = TimeSpan.FromSeconds(SoakSeconds());
        var warmup = TimeSpan.FromTicks(Math.Max(duration.Ticks / 4, s_minWarmup.Ticks));
        var driver = SoakDriver();
        var deferRelease = GuestBenchDrivers.UsesSg(driver);
        await using var guest = await fixture.StartBallastGuestAsync(new BallastGuestOptions
        {
            Name = "soak",
            Features = GuestBenchRunner.DaemonFeatures(driver, deferRelease),
            DeferRelease = deferRelease,
            MemoryBytes = GuestRamBytes,
            // report=0: no periodic meminfo (a busybox fork a second under TCG); `report` still answers.
            Append = $"{GuestBenchDrivers.KernelArguments(driver)} ballast.dirty=1600 ballast.report=0",
        });
        await guest.VerifyAsync(async () =>
        {
            await guest.WaitConnectedAsync(TimeSpan.FromSeconds(10));
            await StartStatisticsAsync(guest);
            var hostAtStart = guest.Qemu.HostMemoryBytes();
            var cursor = guest.Serial.Count;

            var targets = new TargetLog();
            var random = new Random(Seed);
            var hogs = 0;
            var clock = Stopwatch.StartNew();
            // The worker: the process that parses the guest's and QEMU's input and serves the API (the supervisor only
            // keeps copies of its descriptors).
            var worker = guest.Daemon.WorkerPid() ?? throw new InvalidOperationException($"the daemon has no worker:\n{guest.Daemon.Log()}");
            await using var recorder = FootprintRecorder.Start(worker, s_sampleInterval);
            await using var load = ApiLoad.Start(guest.Daemon.ApiPath, ApiClients, s_apiPause, targets);
            while (clock.Elapsed < duration)
            {
                if (hogs < Hogs && clock.Elapsed >= duration * hogs / Hogs)
                {
                    await guest.Qemu.SendConsoleAsync(string.Create(CultureInfo.InvariantCulture, $"hog {HogMib}"));
                    hogs++;
                }
                var target = random.Next(0, MaxTargetMib + 1) * MiB;
                await guest.Api.SetTargetAsync(target);
                targets.Add(target);
                var pause = TimeSpan.FromMilliseconds(random.Next(500, 3001));
                var left = duration - clock.Elapsed;
                if (left > TimeSpan.Zero)
                    await Task.Delay(pause < left ? pause : left);
                Assert.False(guest.Qemu.HasExited, $"QEMU exited during the soak: {guest.Qemu.ExitReason()}");
                Assert.False(guest.Daemon.HasExited, $"the daemon exited during the soak (status {guest.Daemon.ExitCode})");
                Assert.True(recorder.Failure is null, $"reading the daemon's footprint failed: {recorder.Failure}");
            }
            var samples = await recorder.StopAsync();
            await load.StopAsync();
            Assert.True(recorder.Failure is null, $"reading the daemon's footprint failed: {recorder.Failure}");
            var soakTime = clock.Elapsed;

            // The end: a last target, reached; no release pending, so the host's memory must be down to what the guest keeps.
            var finalClock = Stopwatch.StartNew();
            await guest.Api.SetTargetAsync(FinalTargetBytes);
            await guest.WaitActualAsync(actual => actual == (ulong)FinalTargetBytes, $"actual_bytes = the final target {FinalTargetBytes}", s_balloonTimeout);
            var finalTime = finalClock.Elapsed;
            var settled = await guest.WaitReleasedAsync(s_balloonTimeout);
            var hostAtEnd = guest.Qemu.HostMemoryBytes();
            var after = await guest.StateAsync();

            await GuestWait.UntilAsync(_ => Task.FromResult(guest.Serial.All("hog started").Count(e => e.Index >= cursor) >= hogs),
                s_hogTimeout, BallastGuest.PollInterval, () => $"{hogs} hogs to start", guest.Qemu.ExitReason);
            var vmstat = await ReportAfterHogChecksAsync(guest);

            var trend = FootprintTrend.Analyse(samples, warmup);
            var corrupt = guest.Serial.All("hog corrupt").Count;
            var killed = guest.Serial.All("hog killed").Count(e => e.Index >= cursor);
            var exited = guest.Serial.All("hog exited").Count(e => e.Index >= cursor);
            var hostBound = GuestRamBytes - (long)after.ActualBytes;
            var summary = Summary(GuestBenchDrivers.Name(driver), soakTime, warmup, targets, finalTime, trend, load, hogs, corrupt, vmstat.Int64("oom_kill"),
                hostAtStart, hostAtEnd, hostBound);
            Publish(summary, samples);

            Assert.True(load.Failures == 0, $"{load.Failures} API requests failed:\n{string.Join('\n', load.FailureMessages)}");
            Assert.True(load.BalloonRequests > 0 && load.StatisticsRequests > 0 && load.MetricsRequests > 0, summary);
            Assert.True(targets.Set >= 1 && targets.Reached >= 1, $"no target was reached: {summary}");
            Assert.True(trend.MaxRssKib <= trend.Baseline.RssKib + RssMarginKib,
                $"the daemon's RSS grew after the warm-up: {trend.Baseline.RssKib} KiB at {trend.Baseline.At.TotalSeconds:0} s, up to {trend.MaxRssKib} KiB (margin {RssMarginKib} KiB): {summary}");
            Assert.True(trend.MaxFds <= trend.Baseline.Fds + FdMargin,
                $"the daemon's open descriptors grew after the warm-up: {trend.Baseline.Fds} at {trend.Baseline.At.TotalSeconds:0} s, up to {trend.MaxFds}: {summary}");

            Assert.Equal((ulong)FinalTargetBytes, settled.ActualBytes);
            Assert.Equal((ulong)FinalTargetBytes, after.ActualBytes);
            Assert.Equal(after.ActualBytes, after.BalloonedBytes);
            Assert.Equal(0UL, after.ReleasePendingBytes);
            // Only meaningful if the host held more than the bound before: the guest dirtied 1600 MiB at boot.
            Assert.True(hostAtStart > hostBound, $"only {hostAtStart / MiB} MiB behind guest RAM before the soak: did ballast.dirty run?");
            Assert.True(hostAtEnd <= hostBound + HostSlackBytes,
                $"host memory behind guest RAM is {hostAtEnd} bytes with {after.ActualBytes} ballooned: more than guest RAM - actual = {hostBound} bytes + {HostSlackBytes}");

            Assert.Equal(Hogs, hogs);
            Assert.Equal(0, killed);
            Assert.Equal(0, exited);
            Assert.Equal(0, vmstat.Int64("oom_kill"));
            GuestAssert.NoKernelTrouble(guest);
            Assert.False(guest.Qemu.HasExited, $"QEMU exited: {guest.Qemu.ExitReason()}");
            Assert.False(guest.Daemon.HasExited, $"the daemon exited (status {guest.Daemon.ExitCode})");
        });
    }

    /// <summary><c>BALLAST_SOAK_SECONDS</c>, or 120.</summary>
    private static int SoakSeconds()
    {
        var text = Environment.GetEnvironmentVariable("BALLAST_SOAK_SECONDS");
        if (string.IsNullOrWhiteSpace(text))
            return DefaultSeconds;
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds >= MinSeconds
            ? seconds
            : throw new ArgumentException($"BALLAST_SOAK_SECONDS must be a whole number of seconds, at least {MinSeconds} (a 20 s warm-up and some steady state); got '{text}'");
    }

    /// <summary><c>BALLAST_SOAK_DRIVER</c> (stock, sg or sg-highorder), or stock.</summary>
    private static GuestBenchDriver SoakDriver()
    {
        var text = Environment.GetEnvironmentVariable("BALLAST_SOAK_DRIVER");
        if (string.IsNullOrWhiteSpace(text))
            return GuestBenchDriver.Stock;
        return GuestBenchDrivers.TryParse(text, out var driver)
            ? driver
            : throw new ArgumentException($"BALLAST_SOAK_DRIVER must be {GuestBenchDrivers.Name(GuestBenchDriver.Stock)}, {GuestBenchDrivers.Name(GuestBenchDriver.Sg)} "
                + $"or {GuestBenchDrivers.Name(GuestBenchDriver.SgHighOrder)}; got '{text}'");
    }

    /// <summary>Polling every second, and waits until the first statistics are there (the API answers 404 before).</summary>
    private static async Task StartStatisticsAsync(BallastGuest guest)
    {
        await guest.Api.SetPollingIntervalAsync(1);
        Daemon.Api.StatisticsReport? stats = null;
        await GuestWait.UntilAsync(async ct =>
            {
                try
                {
                    stats = await guest.Api.GetStatisticsAsync(ct);
                    return stats.PollingIntervalS == 1 && stats.FreeMemory is not null;
                }
                catch (Daemon.Client.BalloonApiException e) when (e.StatusCode == 404)
                {
                    return false;
                }
            }, TimeSpan.FromSeconds(20), BallastGuest.PollInterval, () => $"statistics with a 1 s polling interval (last: updated {stats?.UpdatedAt:O})",
            guest.Qemu.ExitReason);
    }

    /// <summary>
    /// <c>report</c> until the guest's clock has moved on 2 s since the first answer, so every hog (they check each page
    /// once a second) has checked all its memory after the balloon settled; returns the last <c>vmstat</c>.
    /// </summary>
    internal static async Task<SerialEvent> ReportAfterHogChecksAsync(BallastGuest guest)
    {
        var first = await ReportAsync(guest);
        var last = first;
        await GuestWait.UntilAsync(async _ =>
            {
                last = await ReportAsync(guest);
                return last.TimeMs - first.TimeMs >= 2000;
            }, TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(1),
            () => $"the guest's clock to pass {first.TimeMs + 2000} ms (last vmstat at {last.TimeMs} ms)", guest.Qemu.ExitReason);
        return last;
    }

    private static async Task<SerialEvent> ReportAsync(BallastGuest guest)
    {
        var ack = await guest.Qemu.SendConsoleAsync("report");
        return await guest.Qemu.WaitForAsync("vmstat", TimeSpan.FromSeconds(30), after: ack.Index);
    }

    private static string Summary(string driver, TimeSpan soakTime, TimeSpan warmup, TargetLog targets, TimeSpan finalTime, FootprintTrend trend,
        ApiLoad load, int hogs, int corrupt, long oomKills, long hostAtStart, long hostAtEnd, long hostBound) =>
        string.Create(CultureInfo.InvariantCulture,
            $"ballast soak: {soakTime.TotalSeconds:0} s (warm-up {warmup.TotalSeconds:0} s), {driver} driver, seed {Seed}: " +
            $"targets set {targets.Set}, reached {targets.Reached}; final {FinalTargetBytes / MiB} MiB reached in {finalTime.TotalSeconds:0.0} s; " +
            $"daemon RSS steady {Mib(trend.Baseline.RssKib)} / end {Mib(trend.End.RssKib)} / max {Mib(trend.MaxRssKib)} MiB " +
            $"(margin {RssMarginKib / 1024}; anon {Mib(trend.Baseline.RssAnonKib)} -> {Mib(trend.End.RssAnonKib)}, " +
            $"JIT code {Mib(trend.Baseline.JitCodeKib)} -> {Mib(trend.End.JitCodeKib)}, guest RAM mapped {Mib(trend.Baseline.GuestRamKib)} -> {Mib(trend.End.GuestRamKib)}), " +
            $"slope {trend.RssSlopeKibPerMinute:+0.0;-0.0} KiB/min (anon {trend.RssAnonSlopeKibPerMinute:+0.0;-0.0}, JIT code {trend.JitCodeSlopeKibPerMinute:+0.0;-0.0}) " +
            $"over {trend.SteadySamples} samples; " +
            $"fds steady {trend.Baseline.Fds} / end {trend.End.Fds} / max {trend.MaxFds}; threads {trend.Baseline.Threads} / {trend.End.Threads} / {trend.MaxThreads}; " +
            $"API requests {load.Requests} (balloon {load.BalloonRequests}, statistics {load.StatisticsRequests}, metrics {load.MetricsRequests}), " +
            $"failures {load.Failures}; hogs {hogs} x {HogMib} MiB, corruptions {corrupt}; OOM kills {oomKills}; " +
            $"host memory {hostAtStart / MiB} -> {hostAtEnd / MiB} MiB (bound: RAM - actual = {hostBound / MiB} MiB + slack {HostSlackBytes / MiB})");

    private static string Mib(long kib) => (kib / 1024.0).ToString("0.0", CultureInfo.InvariantCulture);

    /// <summary>The summary to the test output, stdout and $TMPDIR/ballast-soak-summary.txt; the readings to $TMPDIR/ballast-soak-samples.csv.</summary>
    private void Publish(string summary, IReadOnlyList<ProcessFootprint> samples)
    {
        var summaryPath = Path.Combine(Path.GetTempPath(), "ballast-soak-summary.txt");
        var samplesPath = Path.Combine(Path.GetTempPath(), "ballast-soak-samples.csv");
        File.WriteAllText(summaryPath, summary + "\n");
        File.WriteAllLines(samplesPath, samples.Select(s => s.ToCsv()).Prepend(ProcessFootprint.CsvHeader));
        output.WriteLine(summary);
        output.WriteLine($"summary: {summaryPath}; daemon readings: {samplesPath}");
        Console.WriteLine(summary);
    }
}
