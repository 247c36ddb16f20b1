using System.Globalization;
using Ballast.GuestLab;
using Ballast.Virtio.Memory;
using Ballast.Virtio.Units;

namespace Ballast.GuestBench;

/// <summary>
/// <c>ballast guest-bench --reporting</c>: free page reporting, QEMU's built-in balloon (<c>free-page-reporting=on</c>)
/// against Ballast's daemon (<c>page-reporting</c>) on the same guest. Per boot: a hog of
/// <see cref="GuestBenchOptions.HogBytes"/> touches its memory; then <c>unhog</c> lets it go and the host memory
/// behind guest RAM is read every <see cref="ReclaimWatch.Interval"/> until it settles (<see cref="ReclaimWatch"/>;
/// <see cref="HostReclaim"/>). No balloon target is set.
/// </summary>
public sealed partial class GuestBenchRunner
{
    /// <summary>VIRTIO_BALLOON_F_PAGE_REPORTING.</summary>
    public const int PageReportingBit = Balloon.Device.BalloonFeatures.PageReporting;

    private static readonly string[] s_hogOutcomes = ["hog started", "hog exited", "hog killed"];

    /// <summary>How every reporting run watches the host memory (the band is 2% of the hog).</summary>
    public static ReclaimWatch ReportingWatch(GuestBenchOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return ReclaimWatch.For(options.HogBytes) with { Timeout = options.BalloonTimeout };
    }

    /// <summary>
    /// Runs every repeat of the reporting scenario, boots in the same order as <see cref="RunAsync"/>; returns every run
    /// in order.
    /// </summary>
    public async Task<GuestReportingReport> RunReportingAsync(GuestBenchOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.Reporting)
            throw new ArgumentException("the options are not for a reporting run (Reporting is false)", nameof(options));
        var runs = new List<GuestReportingRun>();
        var count = BootCount(options);
        foreach (var (repeat, backing, device, driver) in Boots(options))
        {
            var label = string.Create(CultureInfo.InvariantCulture,
                $"reporting {GuestRamBackings.Name(backing)} {GuestBenchDevices.Name(device)} {GuestBenchDrivers.Name(driver)} {repeat}/{options.Repeat}");
            BootStarting?.Invoke(runs.Count, count, label);
            var run = await RunReportingAsync(options, device, driver, backing, label, ct).ConfigureAwait(false);
            var deviceTime = run.DeviceMsPerReport is { } perReport
                ? string.Create(CultureInfo.InvariantCulture, $"; {run.Reports} reports, device {perReport:0.0} ms each")
                : "";
            _log(string.Create(CultureInfo.InvariantCulture,
                $"{label}: host {SizeFormatter.MiBWithDecimal(run.HostBytesBefore)} -> {SizeFormatter.MiBWithDecimal(run.HostBytesAfter)} MiB "
                + $"({SizeFormatter.MiBWithDecimal(run.ReclaimedBytes)} MiB back) at {run.ReclaimMs:0} ms (90% at {run.Reclaim90Ms:0} ms; hog exited at {run.HogExitedMs:0} ms; guest clock {run.GuestClockRate:0.000}x{deviceTime})"));
            runs.Add(run);
        }
        var watch = ReportingWatch(options);
        return new GuestReportingReport(options.GuestMemBytes, options.HogBytes, watch.Interval.TotalMilliseconds, watch.SettleWindow.TotalMilliseconds,
            watch.SettleBandBytes, runs);
    }

    /// <summary>
    /// How long every run lets the guest's reporting go quiet between the hog's start and <c>unhog</c>: Linux reports free
    /// memory in passes 2 s apart (at most two 32-block reports per free list and pass, mm/page_reporting.c) for as long
    /// as any is left unreported — at boot all of it, then whatever the hog did not take. If <c>unhog</c> came while those
    /// passes still ran, the first pass after it would fall at a phase left over from the boot (0–2 s later on one boot
    /// than another, and systematically so per device, whose boots take different times); once the work is idle, the
    /// hog's free schedules it 2 s later on every run.
    /// </summary>
    public static readonly TimeSpan ReportingIdleWait = TimeSpan.FromSeconds(12);

    /// <summary>
    /// Waits <see cref="ReportingIdleWait"/>; with Ballast's daemon also until no report arrived for 3 s (a pass gap and
    /// a half), up to 30 s more. QEMU's device counts no reports, so there the fixed wait must do.
    /// </summary>
    /// <summary>The daemon's report count and the time it spent on them, from its metrics.</summary>
    private static async Task<(long Reports, double Seconds)> ReportTimeAsync(Daemon.Client.BalloonApiClient api, CancellationToken ct)
    {
        var text = await api.GetMetricsAsync(ct).ConfigureAwait(false);
        double Value(string name) => text.Split('\n').Where(line => line.StartsWith(name + " ", StringComparison.Ordinal))
            .Select(line => double.Parse(line[(name.Length + 1)..], CultureInfo.InvariantCulture)).Single();
        return ((long)Value("ballast_balloon_reports_total"), Value("ballast_balloon_report_seconds_total"));
    }

    private async Task WaitReportingIdleAsync(Daemon.Client.BalloonApiClient? api, string label, CancellationToken ct)
    {
        await Task.Delay(ReportingIdleWait, ct).ConfigureAwait(false);
        if (api is null)
            return;
        var quiet = TimeSpan.FromSeconds(3);
        for (var waited = TimeSpan.Zero; waited < TimeSpan.FromSeconds(30); waited += quiet)
        {
            var before = (await api.GetBalloonAsync(ct).ConfigureAwait(false)).Reports;
            await Task.Delay(quiet, ct).ConfigureAwait(false);
            if ((await api.GetBalloonAsync(ct).ConfigureAwait(false)).Reports == before)
                return;
        }
        _log($"{label}: the guest was still reporting 30 s after the wait; unhog anyway");
    }

    private async Task<GuestReportingRun> RunReportingAsync(GuestBenchOptions options, GuestBenchDevice device, GuestBenchDriver driver, MemoryBacking backing,
        string label, CancellationToken ct)
    {
        var ballast = device == GuestBenchDevice.Ballast;
        using var directory = GuestRunDirectory.Create(_environment, ballast ? "grb" : "grq");
        await using var daemon = ballast ? await StartDaemonAsync(options, driver, backing, directory, ct).ConfigureAwait(false) : null;
        await using var guest = await QemuGuest.StartAsync(_environment, directory,
            GuestOptions(options, ballast ? GuestBalloonDevice.VhostUser : GuestBalloonDevice.Builtin, driver, backing), ct).ConfigureAwait(false);
        using var api = daemon?.CreateClient();
        try
        {
            await BootAsync(guest, options, driver, label, ct).ConfigureAwait(false);
            if (api is not null)
                await WaitConnectedAsync(api, guest, options, ct).ConfigureAwait(false);

            var cursor = guest.Serial.Count;
            await guest.SendConsoleAsync(string.Create(CultureInfo.InvariantCulture, $"hog {options.HogBytes / MiB}"), ct: ct).ConfigureAwait(false);
            var outcome = await guest.Serial.WaitForAnyAsync(s_hogOutcomes, options.BootTimeout, cursor, guest.ExitReason, ct).ConfigureAwait(false);
            if (outcome.Name != "hog started")
                throw new InvalidOperationException($"the {SizeFormatter.Format(options.HogBytes)} hog did not start: {outcome}");

            await WaitReportingIdleAsync(api, label, ct).ConfigureAwait(false);
            var pagesBefore = guest.HostPages();
            var blockBytes = VerifyBacking(guest, backing, guest.HostMemoryBytes(), pagesBefore);
            var reportedBefore = api is null ? 0 : (await api.GetBalloonAsync(ct).ConfigureAwait(false)).ReportReleasedBytes;
            var deviceBefore = api is null ? default : await ReportTimeAsync(api, ct).ConfigureAwait(false);
            var trace = await HostReclaim.UnhogAsync(guest, ReportingWatch(options), ct).ConfigureAwait(false);
            var pagesAfter = guest.HostPages();
            var reportedAfter = api is null ? 0 : (await api.GetBalloonAsync(ct).ConfigureAwait(false)).ReportReleasedBytes;
            var deviceAfter = api is null ? default : await ReportTimeAsync(api, ct).ConfigureAwait(false);
            var reports = deviceAfter.Reports - deviceBefore.Reports;
            var exited = guest.Serial.All("hog exited").LastOrDefault(e => e.Index >= cursor);
            if (exited?["rc"] != "0")
                throw new InvalidOperationException($"the hog did not exit cleanly after unhog: {exited?.ToString() ?? "no hog exited line"}");

            await EndAsync(guest, label, ct).ConfigureAwait(false);
            return new GuestReportingRun(device, driver, trace.BytesBefore, trace.BytesAfter, trace.SettledMs)
            {
                Backing = backing,
                Reclaim90Ms = trace.ReclaimedBytes > 0 ? trace.MsToReclaim(trace.ReclaimedBytes * 9 / 10) : null,
                HogFreedMs = trace.FreedMs,
                HogExitedMs = trace.ExitedMs,
                RamBlockBytes = blockBytes,
                HostPagesBefore = pagesBefore,
                HostPagesAfter = pagesAfter,
                ReportReleasedBytes = api is null ? null : (long)(reportedAfter - reportedBefore),
                Reports = api is null ? null : reports,
                DeviceMsPerReport = api is null || reports == 0 ? null : (deviceAfter.Seconds - deviceBefore.Seconds) * 1000 / reports,
                GuestClockRate = trace.GuestClockRate,
                ReclaimGuestMs = trace.GuestClockRate * trace.SettledMs,
            };
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            directory.Keep = true;
            throw new InvalidOperationException(
                $"{label} failed: {e.Message}\nrun directory kept: {directory.HostPath}\n{guest.Diagnostics()}"
                + (daemon is null ? "" : $"\n--- ballast serve ---\n{daemon.Log()}"), e);
        }
    }
}
