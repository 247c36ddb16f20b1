using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Ballast.Autopilot;
using Ballast.Daemon.Client;
using Ballast.GuestLab;

namespace Ballast.AutopilotEval;

/// <summary>
/// Runs a <see cref="Scenario"/> one <see cref="EvalWay"/>: starts a <c>ballast serve</c> and a QEMU guest (stock
/// virtio_balloon, microvm, 4 KiB memfd RAM) per guest, all at once, and for <see cref="EvalWay.Autopilot"/> one
/// <c>ballast autopilot</c> on their API sockets; sends each guest its steps on the console; samples every second the
/// host memory behind each guest's RAM, each guest's MemAvailable (its <c>meminfo</c> line, printed every second),
/// each balloon's target and size and the host's PSI; then collects the hogs' chunk times, the OOM kills and the
/// autopilot's target changes. Every process it starts is stopped by pid (SIGTERM, then SIGKILL after a grace time)
/// before it returns, also on failure or cancellation.
/// </summary>
public sealed partial class AutopilotEvalRunner
{
    private const long MiB = 1 << 20;

    private readonly GuestEnvironment _environment;
    private readonly Action<string> _log;

    /// <summary>A runner on <paramref name="environment"/> reporting progress to <paramref name="log"/>.</summary>
    public AutopilotEvalRunner(GuestEnvironment environment, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(environment);
        _environment = environment;
        _log = log ?? (_ => { });
    }

    /// <summary>How long a guest may take to boot (all boot at once under TCG).</summary>
    public TimeSpan BootTimeout { get; init; } = TimeSpan.FromMinutes(4);

    /// <summary>Extra arguments for <c>ballast autopilot</c> (e.g. <c>--take-rate 0.03</c>).</summary>
    public IReadOnlyList<string> AutopilotArguments { get; init; } = [];

    /// <summary>Runs <paramref name="scenario"/> the way <paramref name="way"/>.</summary>
    public async Task<EvalRun> RunAsync(Scenario scenario, EvalWay way, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        var name = EvalWays.Name(way);
        var features = EvalWays.DaemonFeatures(way);
        var shape = DaemonDeviceShape.Of(features);
        var directories = new List<GuestRunDirectory>();
        var daemons = new List<DaemonProcess>();
        var guests = new List<QemuGuest>();
        var apis = new List<BalloonApiClient>();
        ChildProcess? autopilot = null;
        try
        {
            for (var i = 0; i < scenario.Guests; i++)
            {
                var directory = GuestRunDirectory.Create(_environment, $"ape{i}");
                directories.Add(directory);
                var daemon = await DaemonProcess.StartAsync(new DaemonOptions
                {
                    SocketPath = directory.HostFile(QemuGuest.BalloonSocketName),
                    ApiPath = directory.HostFile("api.sock"),
                    Features = features,
                }, ct).ConfigureAwait(false);
                daemons.Add(daemon);
                apis.Add(daemon.CreateClient(TimeSpan.FromSeconds(5)));
                guests.Add(await QemuGuest.StartAsync(_environment, directory, new QemuGuestOptions
                {
                    MemoryBytes = scenario.GuestMemBytes,
                    Balloon = GuestBalloonDevice.VhostUser,
                    Queues = shape.Queues,
                    ConfigSize = shape.ConfigSize,
                    Append = "ballast.report=1",
                }, ct).ConfigureAwait(false));
            }
            _log($"{name}: booting {scenario.Guests} guests of {scenario.GuestMemBytes / MiB} MiB (daemon features {features})");
            await Task.WhenAll(guests.Select(g => g.WaitReadyAsync(BootTimeout, ct))).ConfigureAwait(false);
            for (var i = 0; i < guests.Count; i++)
            {
                var virtio = guests[i].Serial.Last("virtio");
                if (virtio?["id"] != "0x0005" || virtio["driver"] != "virtio_balloon")
                    throw new InvalidOperationException($"guest {i}: virtio_balloon did not bind: {virtio?.ToString() ?? "no virtio line"}");
                var api = apis[i];
                var guest = guests[i];
                await GuestWait.UntilAsync(async token =>
                    {
                        var state = await api.GetBalloonAsync(token).ConfigureAwait(false);
                        return state.Connected && state.GuestBytes > 0;
                    }, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(100), () => $"daemon {i} to have the guest's memory table", guest.ExitReason, ct)
                    .ConfigureAwait(false);
            }

            var clock = Stopwatch.StartNew();
            var lines = new List<(double Seconds, string Line)>();
            if (way == EvalWay.Autopilot)
            {
                string[] args = [DaemonProcess.DefaultBallastDll, "autopilot", .. daemons.Select(d => d.ApiPath), .. AutopilotArguments];
                autopilot = ChildProcess.Start("dotnet", args, "ballast autopilot", line =>
                {
                    lock (lines)
                        lines.Add((clock.Elapsed.TotalSeconds, line));
                });
            }
            _log($"{name}: guests ready; scenario of {scenario.DurationSeconds:0} s starts");

            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var drivers = guests.Select((g, i) => DriveAsync(g, scenario.Steps(i), clock, stop.Token)).ToList();
            var ticks = await SampleAsync(scenario, guests, apis, clock, autopilot, drivers, stop.Token).ConfigureAwait(false);
            await stop.CancelAsync().ConfigureAwait(false);
            foreach (var driver in drivers)
            {
                try
                {
                    await driver.ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                }
            }

            if (autopilot is not null)
            {
                if (autopilot.HasExited)
                    throw new InvalidOperationException($"ballast autopilot exited early ({autopilot.ExitCode}): {autopilot.Tail(20)}");
                await autopilot.StopAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            }
            foreach (var guest in guests)
                await guest.SendConsoleAsync("report", ct: ct).ConfigureAwait(false);
            await Task.Delay(TimeSpan.FromSeconds(2), ct).ConfigureAwait(false);

            var chunks = new List<HogChunk>();
            long oomKills = 0;
            var hogKills = 0;
            for (var i = 0; i < guests.Count; i++)
            {
                var serial = guests[i].Serial;
                chunks.AddRange(serial.All("hog chunk").Select(e => new HogChunk(i, e.TimeMs ?? 0, e.Int64("mib"), e.Int64("us"))));
                oomKills += serial.Last("vmstat") is { } vmstat && vmstat["oom_kill"] is not null ? vmstat.Int64("oom_kill") : 0;
                hogKills += serial.All("hog killed").Count;
                if (serial.All("hog corrupt").FirstOrDefault() is { } corrupt)
                    throw new InvalidOperationException($"guest {i}: a hog's memory changed under it: {corrupt}");
            }
            List<(double Seconds, string Line)> logged;
            lock (lines)
                logged = [.. lines];
            var changes = ParseDecisions(logged, daemons.Select(d => Path.GetFullPath(d.ApiPath)).ToList());

            foreach (var guest in guests)
                await guest.EndAsync(TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
            var summary = Summarize(scenario, ticks, chunks, changes, oomKills, hogKills);
            _log(string.Create(CultureInfo.InvariantCulture,
                $"{name}: mean host memory {summary.MeanHostBytes / MiB:0} MiB, OOM kills {summary.OomKills}, p99 chunk {summary.ChunkP99Ms:0.0} ms, "
                + $"{summary.TargetChanges} target changes, {summary.Oscillations} oscillations"));
            return new EvalRun(way, scenario, ticks, chunks, changes, summary) { AutopilotLog = logged };
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            foreach (var directory in directories)
                directory.Keep = true;
            var diagnostics = string.Join("\n", guests.Select((g, i) => $"--- guest {i} ---\n{g.Diagnostics()}"))
                + string.Join("\n", daemons.Select((d, i) => $"--- ballast serve {i} ---\n{d.Log()}"))
                + (autopilot is null ? "" : $"\n--- ballast autopilot ---\n{autopilot.Tail(40)}");
            throw new InvalidOperationException($"{name} failed: {e.Message}\nrun directories kept: "
                + string.Join(", ", directories.Select(d => d.HostPath)) + "\n" + diagnostics, e);
        }
        finally
        {
            if (autopilot is not null)
                await autopilot.DisposeAsync().ConfigureAwait(false);
            foreach (var api in apis)
                api.Dispose();
            foreach (var guest in guests)
                await guest.DisposeAsync().ConfigureAwait(false);
            foreach (var daemon in daemons)
                await daemon.DisposeAsync().ConfigureAwait(false);
            foreach (var directory in directories)
                directory.Dispose();
        }
    }

    /// <summary>Sends <paramref name="steps"/> to <paramref name="guest"/>, each at its time.</summary>
    private static async Task DriveAsync(QemuGuest guest, IReadOnlyList<ScenarioStep> steps, Stopwatch clock, CancellationToken ct)
    {
        foreach (var step in steps)
        {
            var wait = TimeSpan.FromSeconds(step.AtSeconds) - clock.Elapsed;
            if (wait > TimeSpan.Zero)
                await Task.Delay(wait, ct).ConfigureAwait(false);
            await guest.SendConsoleAsync(step.Command, ct: ct).ConfigureAwait(false);
        }
    }

    /// <summary>One sample a second until the scenario's end; fails early if a driver or the autopilot fails.</summary>
    private static async Task<List<EvalTick>> SampleAsync(Scenario scenario, List<QemuGuest> guests, List<BalloonApiClient> apis, Stopwatch clock,
        ChildProcess? autopilot, List<Task> drivers, CancellationToken ct)
    {
        var ticks = new List<EvalTick>();
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        while (clock.Elapsed.TotalSeconds < scenario.DurationSeconds)
        {
            if (drivers.FirstOrDefault(d => d.IsFaulted) is { } failed)
                await failed.ConfigureAwait(false);
            if (autopilot is { HasExited: true })
                throw new InvalidOperationException($"ballast autopilot exited ({autopilot.ExitCode}): {autopilot.Tail(20)}");
            var seconds = clock.Elapsed.TotalSeconds;
            var host = HostPressure.Read();
            var states = await Task.WhenAll(apis.Select(async api =>
            {
                try
                {
                    return await api.GetBalloonAsync(ct).ConfigureAwait(false);
                }
                catch (Exception e) when (e is HttpRequestException or IOException or TimeoutException or TaskCanceledException && !ct.IsCancellationRequested)
                {
                    return null;
                }
            })).ConfigureAwait(false);
            var tick = new List<GuestTick>();
            for (var i = 0; i < guests.Count; i++)
            {
                var meminfo = guests[i].Serial.Last("meminfo");
                long? available = meminfo?["MemAvailable"] is not null ? meminfo.Int64("MemAvailable") * 1024 : null;
                tick.Add(new GuestTick(guests[i].HostMemoryBytes(), available, (long?)states[i]?.TargetBytes, (long?)states[i]?.ActualBytes));
            }
            ticks.Add(new EvalTick(Math.Round(seconds, 3), host.PsiSomeAvg10, host.PsiFullAvg10, host.MemAvailableBytes, tick));
            await timer.WaitForNextTickAsync(ct).ConfigureAwait(false);
        }
        return ticks;
    }

    [GeneratedRegex(@"decision guest=(?<guest>\S+) reason=(?<reason>\w+) target_bytes=(?<old>\d+)->(?<new>\d+) .*applied=(?<applied>\w+)")]
    private static partial Regex DecisionLine();

    /// <summary>The applied target changes in the autopilot's log lines, by guest (its API socket's full path).</summary>
    public static IReadOnlyList<TargetChange> ParseDecisions(IEnumerable<(double Seconds, string Line)> lines, IReadOnlyList<string> apiPaths)
    {
        ArgumentNullException.ThrowIfNull(lines);
        ArgumentNullException.ThrowIfNull(apiPaths);
        var changes = new List<TargetChange>();
        foreach (var (seconds, line) in lines)
        {
            var match = DecisionLine().Match(line);
            if (!match.Success || match.Groups["applied"].Value != "True")
                continue;
            var guest = apiPaths.ToList().IndexOf(match.Groups["guest"].Value);
            if (guest < 0)
                continue;
            changes.Add(new TargetChange(seconds, guest, match.Groups["reason"].Value,
                long.Parse(match.Groups["old"].Value, CultureInfo.InvariantCulture), long.Parse(match.Groups["new"].Value, CultureInfo.InvariantCulture)));
        }
        return changes;
    }

    /// <summary>The summary of one run.</summary>
    public static EvalSummary Summarize(Scenario scenario, IReadOnlyList<EvalTick> ticks, IReadOnlyList<HogChunk> chunks, IReadOnlyList<TargetChange> changes,
        long oomKills, int hogKills)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(ticks);
        ArgumentNullException.ThrowIfNull(chunks);
        ArgumentNullException.ThrowIfNull(changes);
        var ms = chunks.Select(c => c.Us / 1000.0).ToList();
        return new EvalSummary(
            ticks.Count == 0 ? 0 : ticks.Average(t => (double)t.HostBytes),
            ticks.Count == 0 ? 0 : ticks.Max(t => t.HostBytes),
            ticks.Count == 0 ? 0 : ticks[^1].HostBytes,
            chunks.Sum(c => c.Mib) * MiB,
            scenario.PeakHogMiB * MiB * scenario.Guests,
            oomKills,
            hogKills,
            chunks.Count,
            EvalSummary.Percentile(ms, 50),
            EvalSummary.Percentile(ms, 99),
            ms.Count == 0 ? 0 : ms.Max(),
            changes.Count(c => c.Direction != 0),
            changes.Count(c => c.Direction != 0 && c.IsGiveBack),
            TargetOscillation.Reversals(changes).Count,
            ticks.Count == 0 ? 0 : ticks.Average(t => (double)t.Guests.Sum(g => g.TargetBytes ?? 0)),
            ticks.Count == 0 ? null : ticks.Max(t => t.PsiSomeAvg10),
            ticks.Count == 0 ? 0 : Enumerable.Range(0, scenario.Guests).Sum(g => ticks.Max(t => t.Guests[g].HostBytes) - ticks[^1].Guests[g].HostBytes));
    }
}
