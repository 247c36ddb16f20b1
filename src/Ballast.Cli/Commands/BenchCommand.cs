using System.CommandLine;
using Ballast.Simulation.Experiment;
using Ballast.Linux;
using Ballast.Cli.Output;
using Ballast.Virtio.Units;
using Ballast.Daemon;
using Ballast.Balloon.Device;

namespace Ballast.Cli.Commands;

/// <summary>
/// <c>ballast bench</c>: runs the seed's balloon experiment in-process in one or all modes and
/// prints the results as a table, or as one JSON object with <c>--json</c>, optionally plotting
/// the inflate breakdown with <c>--plot</c>.
/// </summary>
/// <remarks>
/// Everything is validated before the engine is built, so a bad request allocates nothing.
/// Results go to standard output; errors, the progress bar (<see cref="RunProgressBar"/>, on a terminal only) and notes go
/// to standard error.
/// </remarks>
public sealed class BenchCommand : Command
{
    /// <summary>Default <c>--guest-mem</c>: 8 GiB.</summary>
    public const long DefaultGuestMemBytes = 8L << 30;

    /// <summary>Default <c>--inflate</c>: 7 GiB.</summary>
    public const long DefaultInflateBytes = 7L << 30;

    private readonly Func<IBenchEngine> _engineFactory;
    private readonly Func<long?> _availableHostBytes;
    private readonly Func<bool> _showProgress;

    private readonly Option<long?> _guestMem = SizeOption("--guest-mem", "8G", "Size of the simulated guest's RAM.");
    private readonly Option<long?> _inflate = SizeOption("--inflate", "7G", "How much memory the balloon takes from the guest.");

    private readonly Option<string> _mode = new Option<string>("--mode")
    {
        Description = "Which driver/device pair to run: pfn-per-page = Linux PFN driver + per-page device (the seed's baseline); "
            + "pfn = Linux PFN driver + coalescing device; sg = the seed (scatter-gather runs from the xbitmap); all = the three, in that order.",
        HelpName = "MODE",
        DefaultValueFactory = _ => BenchModes.AllName,
    }.AcceptOnlyFromAmong([.. BenchModes.CommandLineValues]);

    private readonly Option<bool> _reporting = new("--reporting")
    {
        Description = "After the modes, free page reporting (VIRTIO_BALLOON_F_PAGE_REPORTING) on the same guest: a workload of --inflate "
            + "exits and the guest reports the freed memory (blocks of 2 MiB and up, 32 per buffer) until the host has it back; "
            + "the 'reporting' column is timed like an inflate, with the reports, the runs of the guest's reporting work and the "
            + "2 s Linux waits before each run (not slept).",
    };

    private readonly Option<string> _profile = new Option<string>("--profile")
    {
        Description = "The guest's memory before inflating: idle (long free runs) or fragmented (short free runs).",
        HelpName = "PROFILE",
        DefaultValueFactory = _ => BenchProfiles.Name(BenchProfile.Idle),
    }.AcceptOnlyFromAmong([.. BenchProfiles.CommandLineValues]);

    private readonly Option<bool> _clean = new("--clean")
    {
        Description = "A freshly booted guest: its free memory was never touched, so the host never backed it and releasing it "
            + "costs only system calls (the seed's 2017 conditions). By default free memory was used once and freed, so release frees real memory.",
    };

    private readonly Option<bool> _zeroOnAlloc = new("--zero-on-alloc")
    {
        Description = "The guest writes every page it allocates for the balloon (Linux init_on_alloc).",
    };

    private readonly Option<string> _transport = new Option<string>("--transport")
    {
        Description = "How the guest driver reaches the device: in-process (calls and eventfds in one process) or vhost-user "
            + "(the real vhost-user protocol over a Unix socket, with a C# frontend playing QEMU).",
        HelpName = "TRANSPORT",
        DefaultValueFactory = _ => "in-process",
    }.AcceptOnlyFromAmong("in-process", "vhost-user");

    private readonly Option<string> _backing = new Option<string>("--backing")
    {
        Description = "What backs the simulated guest's RAM: 4k (a memfd on 4 KiB pages), thp (a memfd with transparent huge pages, "
            + "MADV_HUGEPAGE) or hugetlb (a 2 MiB MFD_HUGETLB memfd); a comma-separated list (4k,hugetlb) runs every mode on each in turn. "
            + "As root the bench reserves what it needs (vm.nr_hugepages, THP shmem_enabled=advise) and puts it back afterwards, "
            + "holding " + HugePageReservation.LockPath + " meanwhile (and waiting for it while another Ballast process holds it); "
            + "otherwise the host must be set up already.",
        HelpName = "BACKING[,BACKING…]",
        DefaultValueFactory = _ => BenchBackings.Name(BenchBacking.Pages4K),
    };

    private readonly Option<string> _granularity = new Option<string>("--release-granularity")
    {
        Description = "On huge-page RAM: host-page (the device releases a huge page once all its 4 KiB frames are ballooned) or 4k "
            + "(every frame at once; on transparent huge pages that splits them). hugetlb always releases whole host pages.",
        HelpName = "UNIT",
        DefaultValueFactory = _ => ReleaseGranularities.Name(ReleaseGranularity.HostPage),
    }.AcceptOnlyFromAmong([.. ReleaseGranularities.CommandLineValues]);

    private readonly Option<int> _repeat = new("--repeat")
    {
        Description = "Run each mode N times and report, per mode, the median of each field on its own (stages, total, counts, host memory; "
            + "with an even N the mean of the two middle values). The table and the JSON both carry these median runs, one per mode, "
            + "not the individual runs, so median stages need not add up to the median total. Integrity is 'ok' only if every run was.",
        HelpName = "N",
        DefaultValueFactory = _ => 1,
    };

    private readonly Option<bool> _json = new("--json")
    {
        Description = "Print exactly one JSON object to stdout and nothing else (schema_version 2, every field in docs/bench-json.md): "
            + "guest_mem_bytes, inflate_bytes, profile, clean, zero_on_alloc, floor_ms (the first backing's), runs[] (the median run of each mode: "
            + "mode, total_ms, alloc_ms, send_ms, translate_ms, release_ms, deflate_ms, pages, buffers, kicks, runs, release_calls, host_bytes_before, "
            + "host_bytes_after, integrity, backing, release_granularity, host_page_size, huge_page_bytes_before, huge_page_bytes_after, reports, "
            + "reported_entries, report_passes, report_delay_ms), release_granularity, backings[] (backing, host_page_size, huge_page_source, floor_ms), "
            + "warnings[], schema_version, version, transport, repeat, all_runs[] (every run, as runs[] plus repeat = its number within its mode) and "
            + "spread[] (per mode and backing: count and min, median, max and sample stdev of each *_ms stage); ms rounded to 0.01.",
    };

    private readonly Option<string?> _plot = new("--plot")
    {
        Description = "Also draw the inflate breakdown into this file, PNG or SVG by its extension (.png, .svg): one panel per mode with "
            + "its own ms axis (alloc/send/translate/release stacked, the floor dashed, the total and its ratio to the floor above), "
            + "the whole configuration in the title.",
        HelpName = "FILE.png|FILE.svg",
    };

    /// <summary>A <c>bench</c> command that builds its engine with <paramref name="engineFactory"/>.</summary>
    public BenchCommand(Func<IBenchEngine> engineFactory)
        : this(engineFactory, HostMemory.AvailableBytes, () => !Console.IsErrorRedirected)
    {
    }

    /// <summary>
    /// A <c>bench</c> command with its view of the host replaced, for tests.
    /// </summary>
    /// <param name="engineFactory">Builds the engine, once per invocation that passes validation.</param>
    /// <param name="availableHostBytes">Host memory available (MemAvailable), or <see langword="null"/> if unknown.</param>
    /// <param name="showProgress">Whether to draw the progress bar on standard error (a terminal).</param>
    internal BenchCommand(Func<IBenchEngine> engineFactory, Func<long?> availableHostBytes, Func<bool> showProgress)
        : base("bench", "Run the seed's balloon experiment in-process: a simulated guest's driver inflates a balloon through virtqueues "
            + "against Ballast's balloon device, in each mode, and report the seed's four inflate stages (alloc; send = queue work + "
            + "notifications + waiting; translate; release) with deflate time, counters, host memory and integrity. "
            + $"SIZE is {SizeParser.Syntax}. Exit codes: 0 ok, 1 run failed, 2 bad command line, 130 cancelled (Ctrl+C).")
    {
        ArgumentNullException.ThrowIfNull(engineFactory);
        ArgumentNullException.ThrowIfNull(availableHostBytes);
        ArgumentNullException.ThrowIfNull(showProgress);
        _engineFactory = engineFactory;
        _availableHostBytes = availableHostBytes;
        _showProgress = showProgress;

        Options.Add(_guestMem);
        Options.Add(_inflate);
        Options.Add(_mode);
        Options.Add(_reporting);
        Options.Add(_profile);
        Options.Add(_clean);
        Options.Add(_zeroOnAlloc);
        Options.Add(_transport);
        Options.Add(_backing);
        Options.Add(_granularity);
        Options.Add(_repeat);
        Options.Add(_json);
        Options.Add(_plot);
        SetAction(RunAsync);
    }

    private async Task<int> RunAsync(ParseResult parseResult, CancellationToken ct)
    {
        var stdout = parseResult.InvocationConfiguration.Output;
        var stderr = parseResult.InvocationConfiguration.Error;

        var errors = new List<string>();
        if (!BenchBackings.TryParseList(parseResult.GetRequiredValue(_backing), out var backings, out var backingError))
            errors.Add(backingError);

        var options = new BenchOptions
        {
            GuestMemBytes = parseResult.GetValue(_guestMem) ?? DefaultGuestMemBytes,
            InflateBytes = parseResult.GetValue(_inflate) ?? DefaultInflateBytes,
            Modes = BenchModes.Select(parseResult.GetRequiredValue(_mode), parseResult.GetValue(_reporting)),
            Profile = BenchProfiles.Parse(parseResult.GetRequiredValue(_profile)),
            Clean = parseResult.GetValue(_clean),
            ZeroOnAlloc = parseResult.GetValue(_zeroOnAlloc),
            Repeat = parseResult.GetValue(_repeat),
            Transport = parseResult.GetRequiredValue(_transport) == "vhost-user" ? BenchTransport.VhostUser : BenchTransport.InProcess,
            // A --backing in error is reported as such; the rest is checked as for the default.
            Backings = backingError is null ? backings : [BenchBacking.Pages4K],
            Granularity = ReleaseGranularities.Parse(parseResult.GetRequiredValue(_granularity)),
        };
        var json = parseResult.GetValue(_json);
        var plotPath = parseResult.GetValue(_plot);

        errors.AddRange(options.Validate(_availableHostBytes()));
        if (plotPath is not null && PlotPathError(plotPath) is { } plotError)
            errors.Add(plotError);
        if (errors.Count > 0)
        {
            foreach (var error in errors)
                await stderr.WriteLineAsync($"ballast bench: {error}").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        BenchReport raw, report;
        IBenchEngine? engine = null;
        try
        {
            engine = _engineFactory();
            // Off the invoking thread: System.CommandLine 2.0.0 installs its Ctrl+C handler only once
            // this action has returned its task, so a synchronous engine call here would delay it.
            raw = await RunProgressBar.RunAsync(stderr, _showProgress(), async bar =>
            {
                var task = bar.AddTask("bench: starting");
                var tracker = bar.IsDrawn ? new BenchProgressTracker(options, (fraction, text) => task.Update(fraction, text)) : null;
                var result = await Task.Run(() => engine.Run(options, tracker, ct), CancellationToken.None).ConfigureAwait(false);
                task.Complete($"bench: {tracker?.Steps} steps done");
                return result;
            }).ConfigureAwait(false);
            report = MedianAggregator.Aggregate(raw);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            await stderr.WriteLineAsync("ballast bench: cancelled").ConfigureAwait(false);
            return ExitCodes.Cancelled;
        }
        catch (BenchHostException ex)
        {
            // The host is not set up for a backing and the bench could not set it up: one line naming the setting.
            await stderr.WriteLineAsync($"ballast bench: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.Failure;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            await stderr.WriteLineAsync($"ballast bench: the run failed: {ex}").ConfigureAwait(false);
            return ExitCodes.Failure;
        }
        finally
        {
            (engine as IDisposable)?.Dispose();
        }

        if (json)
            BenchJsonWriter.Write(raw, stdout, BenchJsonHeader.For(options));
        else
            BenchTableWriter.Write(report, options.Repeat, stdout);
        await stdout.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        foreach (var warning in report.Warnings)
            await stderr.WriteLineAsync($"ballast bench: warning: {warning}").ConfigureAwait(false);

        if (plotPath is not null)
        {
            try
            {
                BenchPlotter.Save(report, BenchJsonHeader.For(options), plotPath);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // The results are already printed; say why the picture is missing (e.g. no native SkiaSharp).
                await stderr.WriteLineAsync($"ballast bench: could not write the plot to {plotPath}: {ex.Message}").ConfigureAwait(false);
                return ExitCodes.Failure;
            }

            await stderr.WriteLineAsync($"ballast bench: plot written to {plotPath}").ConfigureAwait(false);
        }

        return ExitCodes.Success;
    }

    /// <summary>Why <paramref name="path"/> cannot take the plot, checked before the run; or <see langword="null"/>.</summary>
    private static string? PlotPathError(string path)
    {
        if (string.IsNullOrWhiteSpace(path))
            return "--plot needs a file name, e.g. --plot bench.png or --plot bench.svg.";
        if (!BenchPlotter.Extensions.Contains(Path.GetExtension(path).ToLowerInvariant()))
            return $"--plot writes PNG or SVG: give a file name ending in .png or .svg (got '{path}').";
        string fullPath;
        try
        {
            fullPath = Path.GetFullPath(path);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return $"--plot: '{path}' is not a valid path: {ex.Message}";
        }

        if (Directory.Exists(fullPath))
            return $"--plot: '{path}' is a directory; give a file name ending in .png or .svg.";
        var directory = Path.GetDirectoryName(fullPath);
        return directory is not null && !Directory.Exists(directory)
            ? $"--plot: the directory '{directory}' does not exist."
            : null;
    }

    private static Option<long?> SizeOption(string name, string defaultText, string description) =>
        Ballast.Daemon.Commands.SizeOption.Create(name, $"{description} SIZE like 8G, 7GiB, 1792M, 512MiB, 4096K or plain bytes (binary units) [default: {defaultText}]");
}
