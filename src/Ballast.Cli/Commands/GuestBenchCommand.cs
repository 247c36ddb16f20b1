using System.CommandLine;
using Ballast.GuestLab;
using Ballast.GuestBench;
using Ballast.Linux;
using Ballast.Virtio.Units;
using Ballast.Daemon;
using Ballast.Cli.Output;

namespace Ballast.Cli.Commands;

/// <summary>
/// <c>ballast guest-bench</c>: boots real Linux guests under QEMU (TCG) and times a balloon driver — the stock
/// virtio_balloon, or Ballast's SG module with order-0 or high-order allocation (<c>--driver</c>) — inflating and
/// deflating against QEMU's built-in balloon and against Ballast's daemon over vhost-user
/// (<see cref="GuestBenchRunner"/>), with the host memory behind the guest's RAM before and after; with
/// <c>--reporting</c>, free page reporting after a hog lets go instead (<see cref="GuestBenchRunner.RunReportingAsync"/>).
/// </summary>
/// <remarks>
/// Needs root (QEMU runs in a chroot): checked first, one line and exit 2 without it. Builds the guest artifacts first
/// if they are missing (<c>guest/ensure.sh</c>, ≈ 7 minutes cold), after saying what it will install and build
/// (<c>ensure.sh --plan</c>, <see cref="GuestBuildPlan"/>). Results go to standard output; log lines and, on a
/// terminal, progress bars (the first-run build, then the guest boots: <see cref="RunProgressBar"/>) to standard error.
/// </remarks>
public sealed class GuestBenchCommand : Command
{
    private readonly Func<long?> _availableHostBytes;
    private readonly Func<bool> _isRoot;
    private readonly Func<bool> _showProgress;

    private readonly Option<long?> _guestMem = SizeOption("--guest-mem", "2G", "Guest RAM (a whole number of MiB).");
    private readonly Option<long?> _inflate = SizeOption("--inflate", "1536M", "How much the balloon takes from the guest.");
    private readonly Option<long?> _dirty = SizeOption("--dirty", "1600M", "Guest memory written and freed at boot, so the inflate has host memory to give back (0 for none).");

    private readonly Option<bool> _reporting = new("--reporting")
    {
        Description = "Time free page reporting instead of an inflate: both devices offer it (QEMU's free-page-reporting=on, the daemon's "
            + "page-reporting), a --hog starts and is let go (unhog), and the host memory behind guest RAM is read every 50 ms until it settled "
            + "(4 s within 2% of the hog); no balloon target. --inflate and --dirty are not used",
    };

    private readonly Option<long?> _hog = SizeOption("--hog", "1G", "With --reporting: the hog's size (a whole number of MiB).");

    private readonly Option<string> _device = new Option<string>("--device")
    {
        Description = "Which balloon device: ballast (the daemon over vhost-user, started by this command), qemu (QEMU's virtio-balloon-device "
            + "over QMP), or both (alternating, qemu first in every repeat)",
        HelpName = "DEVICE",
        DefaultValueFactory = _ => GuestBenchDevices.BothName,
    }.AcceptOnlyFromAmong([.. GuestBenchDevices.CommandLineValues]);

    private readonly Option<string> _driver = new Option<string>("--driver")
    {
        Description = "Which guest balloon driver: stock (Linux's virtio_balloon; the daemon without SG), sg (Ballast's ballast_balloon module, "
            + "order-0 pages, with the daemon's SG feature), sg-highorder (the same allocating order-"
            + $"{GuestBenchDrivers.HighOrder} blocks: ballast.modargs=alloc_order={GuestBenchDrivers.HighOrder}), or all (the three in that order). "
            + "sg and sg-highorder need --device ballast",
        HelpName = "DRIVER",
        DefaultValueFactory = _ => GuestBenchDrivers.Name(GuestBenchDriver.Stock),
    }.AcceptOnlyFromAmong([.. GuestBenchDrivers.CommandLineValues]);

    private readonly Option<string> _backing = new Option<string>("--backing")
    {
        Description = "What backs guest RAM: 4k (a shmem memfd), thp (transparent huge pages: a file on a huge=always tmpfs mounted for the guest; "
            + "the daemon then runs with --allow-unsealed-memory), hugetlb (a 2 MiB hugetlb memfd: hugetlb=on,hugetlbsize=2M), or all (the three "
            + "in that order, in every repeat). Huge backings reserve what they need (vm.nr_hugepages) while the guest runs and restore it",
        HelpName = "BACKING",
        DefaultValueFactory = _ => GuestRamBackings.Name(Virtio.Memory.MemoryBacking.Pages4K),
    }.AcceptOnlyFromAmong([.. GuestRamBackings.CommandLineValues]);

    private readonly Option<string?> _granularity = new Option<string?>("--release-granularity")
    {
        Description = "Ballast's daemon's --release-granularity: host-page (release a huge page once all its 4 KiB frames are ballooned) or 4k "
            + "(every frame at once; splits transparent huge pages) [default: the daemon's, host-page]",
        HelpName = "UNIT",
    }.AcceptOnlyFromAmong([.. GuestBenchOptions.ReleaseGranularities]);

    private readonly Option<int> _repeat = new("--repeat")
    {
        Description = "Boot N guests per device; the table shows each run and the per-device medians, the JSON every run",
        HelpName = "N",
        DefaultValueFactory = _ => 1,
    };

    private readonly Option<bool> _deferRelease = new("--defer-release")
    {
        Description = "Run Ballast's daemon with --defer-release (and must-tell-host): inflate buffers return before the host memory is "
            + "released; release_ms says when it was",
    };

    private readonly Option<bool> _json = new("--json")
    {
        Description = "Print exactly one JSON object and nothing else: guest_mem_bytes, inflate_bytes, dirty_bytes, runs[] (device, driver, "
            + "inflate_ms, deflate_ms, host_bytes_before, host_bytes_after, release_ms, backing, ram_block_bytes, host_pages_before/after: the "
            + "hugetlb pool's free pages, shmem THP and QEMU's hugetlb and PMD-mapped memory, module_inflate/module_deflate: Ballast's module's "
            + "debug batch lines summed), every run in order, and release_granularity. With --reporting: guest_mem_bytes, hog_bytes, "
            + "poll_interval_ms, settle_window_ms, settle_band_bytes, runs[] (device, driver, host_bytes_before, host_bytes_after, reclaim_ms, "
            + "backing, reclaimed_bytes, reclaim_90_ms, hog_freed_ms, hog_exited_ms, ram_block_bytes, host_pages_before/after, report_released_bytes)",
    };

    /// <summary>The <c>guest-bench</c> command.</summary>
    public GuestBenchCommand()
        : this(HostMemory.AvailableBytes, () => Environment.IsPrivilegedProcess, () => !Console.IsErrorRedirected)
    {
    }

    /// <summary>The command with its view of the host replaced, for tests.</summary>
    /// <param name="availableHostBytes">MemAvailable, or null if unknown.</param>
    /// <param name="isRoot">Whether the process runs as root.</param>
    /// <param name="showProgress">Whether to draw progress bars on standard error (a terminal).</param>
    internal GuestBenchCommand(Func<long?> availableHostBytes, Func<bool> isRoot, Func<bool> showProgress)
        : base("guest-bench", "Time real Linux guests (QEMU TCG, microvm; the stock virtio_balloon driver or Ballast's SG module; RAM on 4 KiB pages, "
            + "transparent huge pages or hugetlb) inflating and deflating their balloon with "
            + "Ballast's daemon over vhost-user and with QEMU's built-in virtio-balloon-device, and the host memory behind guest RAM before "
            + "and after; with --reporting, how much host memory free page reporting gives back, and how soon, after a hog lets go. "
            + $"Needs root; builds the guest kernel, initramfs and QEMU chroot first if missing. SIZE is {SizeParser.Syntax}. "
            + "Before a first run it says what it will install and build (guest/ensure.sh --plan). "
            + "Exit codes: 0 ok, 1 a run failed, 2 bad command line or not root, 130 cancelled.")
    {
        ArgumentNullException.ThrowIfNull(availableHostBytes);
        ArgumentNullException.ThrowIfNull(isRoot);
        ArgumentNullException.ThrowIfNull(showProgress);
        _availableHostBytes = availableHostBytes;
        _isRoot = isRoot;
        _showProgress = showProgress;
        Options.Add(_guestMem);
        Options.Add(_inflate);
        Options.Add(_dirty);
        Options.Add(_reporting);
        Options.Add(_hog);
        Options.Add(_device);
        Options.Add(_driver);
        Options.Add(_backing);
        Options.Add(_granularity);
        Options.Add(_repeat);
        Options.Add(_deferRelease);
        Options.Add(_json);
        SetAction(RunAsync);
    }

    private async Task<int> RunAsync(ParseResult parseResult, CancellationToken ct)
    {
        var stdout = parseResult.InvocationConfiguration.Output;
        var stderr = parseResult.InvocationConfiguration.Error;
        var options = new GuestBenchOptions
        {
            GuestMemBytes = parseResult.GetValue(_guestMem) ?? GuestBenchOptions.DefaultGuestMemBytes,
            InflateBytes = parseResult.GetValue(_inflate) ?? GuestBenchOptions.DefaultInflateBytes,
            DirtyBytes = parseResult.GetValue(_dirty) ?? GuestBenchOptions.DefaultDirtyBytes,
            Devices = GuestBenchDevices.Select(parseResult.GetRequiredValue(_device)),
            Drivers = GuestBenchDrivers.Select(parseResult.GetRequiredValue(_driver)),
            Backings = GuestRamBackings.Select(parseResult.GetRequiredValue(_backing)),
            ReleaseGranularity = parseResult.GetValue(_granularity),
            Repeat = parseResult.GetValue(_repeat),
            DeferRelease = parseResult.GetValue(_deferRelease),
            Reporting = parseResult.GetValue(_reporting),
            HogBytes = parseResult.GetValue(_hog) ?? GuestBenchOptions.DefaultHogBytes,
        };
        var errors = options.Validate(_availableHostBytes());
        if (errors.Count > 0)
        {
            foreach (var error in errors)
                await stderr.WriteLineAsync($"ballast guest-bench: {error}").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        if (!_isRoot())
        {
            await stderr.WriteLineAsync("ballast guest-bench: needs root (QEMU runs in a chroot; huge pages and Debian packages are set up): "
                + "run it with sudo").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        string output;
        try
        {
            // Said before anything is installed or built, from the lists ensure.sh itself uses.
            var plan = await GuestEnvironment.PlanAsync(ct: ct).ConfigureAwait(false);
            if (!plan.IsEmpty)
                await stderr.WriteLineAsync($"ballast guest-bench: first run: {plan.Describe()}").ConfigureAwait(false);
            var json = parseResult.GetValue(_json);
            output = await RunProgressBar.RunAsync(stderr, _showProgress(), async bar =>
            {
                void Log(string line) => bar.WriteLine($"ballast guest-bench: {line}");

                var build = plan.IsEmpty ? null : bar.AddTask("first-run build");
                var tracker = build is null ? null : new GuestBuildTracker(plan, (fraction, text) => build.Update(fraction, text));
                var environment = await GuestEnvironment.EnsureAsync(log: line =>
                {
                    Log(line);
                    tracker?.Observe(line);
                }, ct: ct).ConfigureAwait(false);
                build?.Complete("first-run build: done");
                Log($"QEMU {environment.QemuVersion} in {environment.QemuRoot}");

                var boots = bar.AddTask("guests");
                var runner = new GuestBenchRunner(environment, Log)
                {
                    BootStarting = (index, count, label) => boots.Update((double)index / count, $"guest {index + 1}/{count}: {label}"),
                };
                string text;
                if (options.Reporting)
                {
                    var report = await runner.RunReportingAsync(options, ct).ConfigureAwait(false);
                    text = json ? GuestBenchJsonWriter.Serialize(report) + "\n" : GuestReportingTableWriter.Format(report);
                }
                else
                {
                    var report = await runner.RunAsync(options, ct).ConfigureAwait(false);
                    text = json ? GuestBenchJsonWriter.Serialize(report) + "\n" : GuestBenchTableWriter.Format(report);
                }
                boots.Complete($"guests: {GuestBenchRunner.BootCount(options)} done");
                return text;
            }).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            await stderr.WriteLineAsync("ballast guest-bench: cancelled").ConfigureAwait(false);
            return ExitCodes.Cancelled;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            await stderr.WriteLineAsync($"ballast guest-bench: {e.Message}").ConfigureAwait(false);
            return ExitCodes.Failure;
        }

        await stdout.WriteAsync(output).ConfigureAwait(false);
        await stdout.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        return ExitCodes.Success;
    }

    private static Option<long?> SizeOption(string name, string defaultText, string description) =>
        Ballast.Daemon.Commands.SizeOption.Create(name, $"{description} SIZE like 2G, 1536M, 1600MiB or plain bytes [default: {defaultText}]", zeroAllowed: true);
}
