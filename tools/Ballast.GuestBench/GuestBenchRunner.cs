using Ballast.GuestLab;
using System.Diagnostics;
using System.Globalization;
using Ballast.Virtio.Memory;
using Ballast.Virtio.Units;

namespace Ballast.GuestBench;

/// <summary>
/// The engine of <c>ballast guest-bench</c>: boots the same kernel, initramfs and memory once per device and repeat
/// — QEMU's built-in <c>virtio-balloon-device</c> driven over QMP, or Ballast's daemon (started here; stats and
/// deflate-on-oom, plus SG for Ballast's module) behind <c>vhost-user-test-device</c> — and guest driver (the stock
/// virtio_balloon, or <c>ballast_balloon</c> with order-0 or high-order allocation), dirties guest memory at boot,
/// then times an inflate (target sent → the guest's <c>actual</c> reports it) and a deflate back to an empty
/// balloon, reading the host memory behind the guest's memfd before and after the inflate.
/// </summary>
/// <remarks>
/// Both devices are timed alike: the clock starts just before the command (QMP <c>balloon</c> with the target
/// guest size, or <c>PUT /balloon</c> with the target balloon size) and a poll every
/// <see cref="GuestBenchOptions.PollInterval"/> (QMP <c>query-balloon</c>, or <c>GET /balloon</c>) waits for the
/// target; the time is the device's own record of the guest's answer (<see cref="AnswerTime"/>: QEMU's
/// <c>BALLOON_CHANGE</c> event, Ballast's <c>actual_written_unix_us</c>), so it carries no polling error.
/// Features match: both offer stats and deflate-on-oom, so the guest negotiates the same bits.
/// </remarks>
public sealed partial class GuestBenchRunner
{
    private const long MiB = 1 << 20;

    private readonly GuestEnvironment _environment;
    private readonly Action<string> _log;

    /// <summary>A runner on <paramref name="environment"/> that reports progress to <paramref name="log"/>.</summary>
    public GuestBenchRunner(GuestEnvironment environment, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(environment);
        _environment = environment;
        _log = log ?? (_ => { });
    }

    /// <summary>
    /// Called before each boot with its index (0-based), the number of boots and its label (<c>4k ballast stock 1/3</c>),
    /// for a progress display; may be null.
    /// </summary>
    public Action<int, int, string>? BootStarting { get; init; }

    /// <summary>How many guests <paramref name="options"/> boot (every repeat, backing, device and driver it runs).</summary>
    public static int BootCount(GuestBenchOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Boots(options).Count();
    }

    /// <summary>The features the Ballast daemon offers the stock driver: those of QEMU's device with deflate-on-oom=on.</summary>
    public const string BallastFeatures = "stats,deflate-on-oom";

    /// <summary>The features the Ballast daemon offers Ballast's module: <see cref="BallastFeatures"/> plus SG (bit 23).</summary>
    public const string BallastSgFeatures = "stats,deflate-on-oom,sg";

    /// <summary>
    /// The daemon's <c>--features</c> for <paramref name="driver"/>; with <paramref name="deferRelease"/> also
    /// must-tell-host, which <c>--defer-release</c> needs; with <paramref name="reporting"/> also page-reporting.
    /// </summary>
    public static string DaemonFeatures(GuestBenchDriver driver, bool deferRelease = false, bool reporting = false) =>
        (GuestBenchDrivers.UsesSg(driver) ? BallastSgFeatures : BallastFeatures) + (deferRelease ? ",must-tell-host" : "")
        + (reporting ? ",page-reporting" : "");

    /// <summary>
    /// Runs every repeat: within each, every backing in turn, and on each the devices alternating (QEMU's only with the
    /// stock driver); returns every run in order.
    /// </summary>
    public async Task<GuestBenchReport> RunAsync(GuestBenchOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var runs = new List<GuestBenchRun>();
        var count = BootCount(options);
        foreach (var (repeat, backing, device, driver) in Boots(options))
        {
            var label = string.Create(CultureInfo.InvariantCulture,
                $"{GuestRamBackings.Name(backing)} {GuestBenchDevices.Name(device)} {GuestBenchDrivers.Name(driver)} {repeat}/{options.Repeat}");
            BootStarting?.Invoke(runs.Count, count, label);
            var run = device switch
            {
                GuestBenchDevice.Qemu => await RunQemuAsync(options, backing, label, ct).ConfigureAwait(false),
                GuestBenchDevice.Ballast => await RunBallastAsync(options, driver, backing, label, ct).ConfigureAwait(false),
                _ => throw new ArgumentException($"unknown device {device}", nameof(options)),
            };
            _log(string.Create(CultureInfo.InvariantCulture,
                $"{label}: inflate {run.InflateMs:0.0} ms (host released at {run.ReleaseMs:0.0} ms), deflate {run.DeflateMs:0.0} ms, host {SizeFormatter.MiBWithDecimal(run.HostBytesBefore)} -> {SizeFormatter.MiBWithDecimal(run.HostBytesAfter)} MiB; {Evidence(run)}"));
            runs.Add(run);
        }
        return new GuestBenchReport(options.GuestMemBytes, options.InflateBytes, options.DirtyBytes, runs) { ReleaseGranularity = options.ReleaseGranularity };
    }

    /// <summary>
    /// Every boot, in the order they run: within each repeat every backing in turn, on each the devices alternating,
    /// each with every driver — QEMU's device only with the stock driver (its other drivers are left out when Ballast's
    /// device runs them; alone it cannot).
    /// </summary>
    private static IEnumerable<(int Repeat, MemoryBacking Backing, GuestBenchDevice Device, GuestBenchDriver Driver)> Boots(GuestBenchOptions options)
    {
        for (var repeat = 1; repeat <= options.Repeat; repeat++)
        {
            foreach (var backing in options.Backings)
            {
                foreach (var device in options.Devices)
                {
                    foreach (var driver in options.Drivers)
                    {
                        if (device == GuestBenchDevice.Qemu && driver != GuestBenchDriver.Stock)
                        {
                            if (options.Devices.Contains(GuestBenchDevice.Ballast))
                                continue;
                            throw new ArgumentException($"QEMU's device cannot run the {GuestBenchDrivers.Name(driver)} driver", nameof(options));
                        }
                        yield return (repeat, backing, device, driver);
                    }
                }
            }
        }
    }

    /// <summary>The huge-page evidence of a run, for the progress log.</summary>
    public static string Evidence(GuestBenchRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var (before, after) = (run.HostPagesBefore, run.HostPagesAfter);
        if (before is null || after is null)
            return string.Create(CultureInfo.InvariantCulture, $"RAM block {run.RamBlockBytes} B");
        return string.Create(CultureInfo.InvariantCulture,
            $"RAM block {run.RamBlockBytes} B, HugePages_Free {before.HugetlbFreePages} -> {after.HugetlbFreePages}, "
            + $"QEMU hugetlb {SizeFormatter.MiBWithDecimal(before.QemuHugetlbBytes)} -> {SizeFormatter.MiBWithDecimal(after.QemuHugetlbBytes)} MiB, "
            + $"ShmemPmdMapped {SizeFormatter.MiBWithDecimal(before.QemuShmemPmdMappedBytes)} -> {SizeFormatter.MiBWithDecimal(after.QemuShmemPmdMappedBytes)} MiB");
    }

    /// <summary>
    /// The guest for <paramref name="balloon"/> and <paramref name="driver"/>: with <see cref="GuestBenchOptions.Reporting"/>
    /// QEMU's balloon gets <c>free-page-reporting=on</c> and nothing is dirtied at boot; the vhost-user device gets the
    /// daemon's queues and config space (<see cref="DaemonDeviceShape"/>).
    /// </summary>
    private static QemuGuestOptions GuestOptions(GuestBenchOptions options, GuestBalloonDevice balloon, GuestBenchDriver driver, MemoryBacking backing)
    {
        var shape = DaemonDeviceShape.Of(DaemonFeatures(driver, options.DeferRelease, options.Reporting));
        return new()
        {
            MemoryBytes = options.GuestMemBytes,
            Backing = backing,
            Balloon = balloon,
            DeflateOnOom = true,
            FreePageReporting = options.Reporting,
            Queues = shape.Queues,
            ConfigSize = shape.ConfigSize,
            // report=0: no periodic meminfo (busybox forks are slow under TCG and would run during the timing). Ballast's
            // module logs each batch (dev_dbg, dyndbg=+p): a printk into the ring buffer, copied out by /init once a second.
            Append = string.Create(CultureInfo.InvariantCulture,
                $"{GuestBenchDrivers.KernelArguments(driver, verbose: true)} ballast.dirty={DirtyBytes(options) / MiB} ballast.report=0"),
        };
    }

    /// <summary>What the guest dirties at boot: <see cref="GuestBenchOptions.DirtyBytes"/>, or nothing with <see cref="GuestBenchOptions.Reporting"/>.</summary>
    private static long DirtyBytes(GuestBenchOptions options) => options.Reporting ? 0 : options.DirtyBytes;

    /// <summary>
    /// After boot: the guest's RAM is on <paramref name="backing"/> (QEMU's RAM file, and for huge backings the memory
    /// the guest dirtied really on huge pages: hugetlb mapped by QEMU, or at least half of it PMD-mapped for THP).
    /// Returns the RAM file's block size.
    /// </summary>
    private static long VerifyBacking(QemuGuest guest, MemoryBacking backing, long hostBytes, HostPageCounters pages)
    {
        var probe = guest.VerifyBacking();
        if (backing == MemoryBacking.Hugetlb && pages.QemuHugetlbBytes < hostBytes / 2)
            throw new InvalidOperationException($"hugetlb guest RAM holds {hostBytes} bytes but QEMU maps only {pages.QemuHugetlbBytes} bytes of hugetlb memory: {pages}");
        if (backing == MemoryBacking.Thp && pages.QemuShmemPmdMappedBytes < hostBytes / 2)
            throw new InvalidOperationException($"THP guest RAM holds {hostBytes} bytes but QEMU maps only {pages.QemuShmemPmdMappedBytes} bytes of it with huge pages: {pages}");
        return (long)probe.BlockSize;
    }

    private async Task<GuestBenchRun> RunQemuAsync(GuestBenchOptions options, MemoryBacking backing, string label, CancellationToken ct)
    {
        using var directory = GuestRunDirectory.Create(_environment, "gbq");
        await using var guest = await QemuGuest.StartAsync(_environment, directory, GuestOptions(options, GuestBalloonDevice.Builtin, GuestBenchDriver.Stock, backing), ct)
            .ConfigureAwait(false);
        try
        {
            await BootAsync(guest, options, GuestBenchDriver.Stock, label, ct).ConfigureAwait(false);
            await using var qmp = await QmpClient.ConnectAsync(guest.QmpSocketPath, TimeSpan.FromSeconds(10), ct).ConfigureAwait(false);
            var inflatedGuest = options.GuestMemBytes - options.InflateBytes;
            long actual = 0;
            Func<CancellationToken, Task<bool>> At(long target) => async token => (actual = await qmp.QueryBalloonAsync(token).ConfigureAwait(false)) == target;

            var before = guest.HostMemoryBytes();
            var pagesBefore = guest.HostPages();
            var blockBytes = VerifyBacking(guest, backing, before, pagesBefore);
            var asked = AnswerTime.NowUnixUs();
            var clock = Stopwatch.StartNew();
            await qmp.SetBalloonAsync(inflatedGuest, ct).ConfigureAwait(false);
            await GuestWait.UntilAsync(At(inflatedGuest), options.BalloonTimeout, options.PollInterval,
                () => $"query-balloon actual {inflatedGuest} (last {actual})", guest.ExitReason, ct).ConfigureAwait(false);
            var inflateMs = AnswerTime.Milliseconds(asked, AnswerTime.LastBalloonChange(qmp.Events, inflatedGuest), clock.Elapsed.TotalMilliseconds);
            var after = guest.HostMemoryBytes();
            var pagesAfter = guest.HostPages();

            asked = AnswerTime.NowUnixUs();
            clock.Restart();
            await qmp.SetBalloonAsync(options.GuestMemBytes, ct).ConfigureAwait(false);
            await GuestWait.UntilAsync(At(options.GuestMemBytes), options.BalloonTimeout, options.PollInterval,
                () => $"query-balloon actual {options.GuestMemBytes} (last {actual})", guest.ExitReason, ct).ConfigureAwait(false);
            var deflateMs = AnswerTime.Milliseconds(asked, AnswerTime.LastBalloonChange(qmp.Events, options.GuestMemBytes), clock.Elapsed.TotalMilliseconds);

            await EndAsync(guest, label, ct).ConfigureAwait(false);
            // QEMU releases each page before it returns the buffer: the memory is gone when actual says so.
            return new GuestBenchRun(GuestBenchDevice.Qemu, GuestBenchDriver.Stock, inflateMs, deflateMs, before, after, inflateMs)
            {
                Backing = backing,
                RamBlockBytes = blockBytes,
                HostPagesBefore = pagesBefore,
                HostPagesAfter = pagesAfter,
            };
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            directory.Keep = true;
            throw new InvalidOperationException($"{label} failed: {e.Message}\nrun directory kept: {directory.HostPath}\n{guest.Diagnostics()}", e);
        }
    }

    /// <summary>
    /// <c>ballast serve</c>'s arguments beyond socket, API and features: <c>--defer-release</c>, <c>--release-granularity</c>
    /// and what <paramref name="backing"/> needs (<see cref="GuestRamBackings.DaemonArguments"/>).
    /// </summary>
    public static IReadOnlyList<string> DaemonArguments(GuestBenchOptions options, MemoryBacking backing)
    {
        ArgumentNullException.ThrowIfNull(options);
        var args = new List<string>();
        if (options.DeferRelease)
            args.Add("--defer-release");
        if (options.ReleaseGranularity is { } granularity)
            args.AddRange(["--release-granularity", granularity]);
        args.AddRange(GuestRamBackings.DaemonArguments(backing));
        return args;
    }

    private async Task<GuestBenchRun> RunBallastAsync(GuestBenchOptions options, GuestBenchDriver driver, MemoryBacking backing, string label, CancellationToken ct)
    {
        using var directory = GuestRunDirectory.Create(_environment, "gbb");
        await using var daemon = await StartDaemonAsync(options, driver, backing, directory, ct).ConfigureAwait(false);
        await using var guest = await QemuGuest.StartAsync(_environment, directory, GuestOptions(options, GuestBalloonDevice.VhostUser, driver, backing), ct)
            .ConfigureAwait(false);
        using var api = daemon.CreateClient();
        try
        {
            await BootAsync(guest, options, driver, label, ct).ConfigureAwait(false);
            await WaitConnectedAsync(api, guest, options, ct).ConfigureAwait(false);
            ulong actual = 0;
            ulong pending = 0;
            long written = 0;
            Func<CancellationToken, Task<bool>> At(long target) => async token =>
            {
                var state = await api.GetBalloonAsync(token).ConfigureAwait(false);
                actual = state.ActualBytes;
                pending = state.ReleasePendingBytes;
                written = (long)state.ActualWrittenUnixUs;
                return actual == (ulong)target;
            };

            var before = guest.HostMemoryBytes();
            var pagesBefore = guest.HostPages();
            var blockBytes = VerifyBacking(guest, backing, before, pagesBefore);
            var asked = AnswerTime.NowUnixUs();
            var clock = Stopwatch.StartNew();
            await api.SetTargetAsync(options.InflateBytes, ct).ConfigureAwait(false);
            await GuestWait.UntilAsync(At(options.InflateBytes), options.BalloonTimeout, options.PollInterval,
                () => $"GET /balloon actual_bytes {options.InflateBytes} (last {actual})", guest.ExitReason, ct).ConfigureAwait(false);
            var inflateMs = AnswerTime.Milliseconds(asked, written, clock.Elapsed.TotalMilliseconds);
            // With --defer-release the host may still be freeing: the memory counts as released once nothing is queued.
            // Without anything queued the host had it back when actual said so: the very same instant, not a second
            // reading of the clock (two readings round to different JSON values now and then).
            var releaseMs = inflateMs;
            if (pending > 0)
            {
                await GuestWait.UntilAsync(async token => (pending = (await api.GetBalloonAsync(token).ConfigureAwait(false)).ReleasePendingBytes) == 0,
                    options.BalloonTimeout, options.PollInterval, () => $"GET /balloon release_pending_bytes 0 (last {pending})", guest.ExitReason, ct)
                    .ConfigureAwait(false);
                releaseMs = clock.Elapsed.TotalMilliseconds;
            }
            var after = guest.HostMemoryBytes();
            var pagesAfter = guest.HostPages();

            asked = AnswerTime.NowUnixUs();
            clock.Restart();
            await api.SetTargetAsync(0, ct).ConfigureAwait(false);
            await GuestWait.UntilAsync(At(0), options.BalloonTimeout, options.PollInterval,
                () => $"GET /balloon actual_bytes 0 (last {actual})", guest.ExitReason, ct).ConfigureAwait(false);
            var deflateMs = AnswerTime.Milliseconds(asked, written, clock.Elapsed.TotalMilliseconds);

            await EndAsync(guest, label, ct).ConfigureAwait(false);
            var serial = File.ReadAllLines(guest.Serial.Path);
            return new GuestBenchRun(GuestBenchDevice.Ballast, driver, inflateMs, deflateMs, before, after, releaseMs)
            {
                Backing = backing,
                RamBlockBytes = blockBytes,
                HostPagesBefore = pagesBefore,
                HostPagesAfter = pagesAfter,
                ModuleInflate = GuestModuleBreakdown.Sum(serial, "inflate"),
                ModuleDeflate = GuestModuleBreakdown.Sum(serial, "deflate"),
            };
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            directory.Keep = true;
            throw new InvalidOperationException(
                $"{label} failed: {e.Message}\nrun directory kept: {directory.HostPath}\n{guest.Diagnostics()}\n--- ballast serve ---\n{daemon.Log()}", e);
        }
    }

    /// <summary>Starts <c>ballast serve</c> for <paramref name="driver"/> in <paramref name="directory"/> (it listens before QEMU starts).</summary>
    private static Task<DaemonProcess> StartDaemonAsync(GuestBenchOptions options, GuestBenchDriver driver, MemoryBacking backing, GuestRunDirectory directory,
        CancellationToken ct) =>
        DaemonProcess.StartAsync(new DaemonOptions
        {
            SocketPath = directory.HostFile(QemuGuest.BalloonSocketName),
            ApiPath = directory.HostFile("api.sock"),
            Features = DaemonFeatures(driver, options.DeferRelease, options.Reporting),
            ExtraArguments = DaemonArguments(options, backing),
        }, ct);

    /// <summary>Waits until the daemon has the guest's memory table.</summary>
    private static Task WaitConnectedAsync(Daemon.Client.BalloonApiClient api, QemuGuest guest, GuestBenchOptions options, CancellationToken ct) =>
        GuestWait.UntilAsync(async token =>
            {
                var state = await api.GetBalloonAsync(token).ConfigureAwait(false);
                return state.Connected && state.GuestBytes > 0;
            }, TimeSpan.FromSeconds(30), options.PollInterval, () => "the daemon to have the guest's memory table", guest.ExitReason, ct);

    private async Task BootAsync(QemuGuest guest, GuestBenchOptions options, GuestBenchDriver driver, string label, CancellationToken ct)
    {
        _log($"{label}: booting a {SizeFormatter.Format(options.GuestMemBytes)} guest on {GuestRamBackings.Name(guest.Backing)} memory ({GuestBenchDrivers.KernelArguments(driver, verbose: true)}), dirtying {SizeFormatter.Format(DirtyBytes(options))}");
        await guest.WaitReadyAsync(options.BootTimeout, ct).ConfigureAwait(false);
        var module = GuestBenchDrivers.Module(driver);
        var virtio = guest.Serial.Last("virtio");
        if (virtio?["id"] != "0x0005" || virtio["driver"] != module)
            throw new InvalidOperationException($"the {module} driver did not bind to a balloon: {virtio?.ToString() ?? "no virtio line"}");
        if (GuestBenchDrivers.UsesSg(driver) && !HasFeatureBit(virtio, SgBit))
            throw new InvalidOperationException($"{module} did not negotiate SG (bit {SgBit}): {virtio}");
        if (options.Reporting && !HasFeatureBit(virtio, PageReportingBit))
            throw new InvalidOperationException($"{module} did not negotiate PAGE_REPORTING (bit {PageReportingBit}): {virtio}");
        if (DirtyBytes(options) > 0 && guest.Serial.Last("dirty done") is null)
            throw new InvalidOperationException($"the guest did not dirty its memory: {guest.Serial.Last("dirty failed")?.ToString() ?? "no dirty line"}");
    }

    /// <summary>The daemon's default SG feature bit (<c>ballast serve --sg-bit</c>), which Ballast's module negotiates by default.</summary>
    public const int SgBit = Balloon.Device.BalloonFeatures.DefaultSgBit;

    /// <summary>Whether bit <paramref name="bit"/> is set in a <c>virtio</c> fact's <c>features=</c> (character i is bit i).</summary>
    public static bool HasFeatureBit(SerialEvent virtio, int bit)
    {
        ArgumentNullException.ThrowIfNull(virtio);
        var features = virtio["features"];
        return features is not null && bit >= 0 && bit < features.Length && features[bit] == '1';
    }

    private async Task EndAsync(QemuGuest guest, string label, CancellationToken ct)
    {
        var status = await guest.EndAsync(TimeSpan.FromSeconds(20), ct).ConfigureAwait(false);
        if (status != 0)
            _log($"{label}: the guest did not end cleanly (QEMU status {status?.ToString(CultureInfo.InvariantCulture) ?? "still running"}); stopping it");
    }
}
