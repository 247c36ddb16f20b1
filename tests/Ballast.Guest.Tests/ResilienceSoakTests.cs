using System.Diagnostics;
using System.Globalization;
using Ballast.GuestLab;
using Ballast.Guest.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Ballast.Guest.Tests;

/// <summary>
/// The daemon killed and upgraded under a busy guest: for <c>BALLAST_RESILIENCE_SECONDS</c> (default 300) a 2 GiB
/// guest running Linux 6.1's stock driver gets a random balloon target (seeded, 0–1 GiB) every 0.5–3 s and starts
/// hogs that check their pages every second, while the daemon's worker is killed with SIGKILL 20 times
/// (<c>BALLAST_RESILIENCE_KILLS</c>) and the daemon replaced with <c>serve --take-over</c> 5 times
/// (<c>BALLAST_RESILIENCE_TAKEOVERS</c>), at seeded random moments. The summary line gives the medians of the
/// kill-to-serving times and of the take-over pauses. At the end: QEMU alive, the last target
/// reached, ballooned bytes = actual, the host memory behind guest RAM at most guest RAM − actual, no page of any hog
/// changed, no guest kernel warning, no OOM kill, no vhost-user error printed by QEMU.
/// </summary>
[Collection(GuestCollection.Name)]
public sealed class ResilienceSoakTests(GuestFixture fixture, ITestOutputHelper output)
{
    private const long MiB = 1L << 20;
    private const long GuestRamBytes = 2L << 30;
    private const int Seed = 20261206;
    private const int DefaultSeconds = 300;
    private const int DefaultKills = 20;
    private const int DefaultTakeOvers = 5;
    private const int MaxTargetMib = 1024;
    private const int Hogs = 6;
    private const int HogMib = 32;
    private static readonly TimeSpan s_balloonTimeout = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan s_resumeTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan s_hogTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task KillsAndTakeOvers_UnderRandomTargetsAndHogs_QemuNeverNotices_NoPageChanged()
    {
        var duration = TimeSpan.FromSeconds(Count("BALLAST_RESILIENCE_SECONDS", DefaultSeconds, 60));
        var killCount = Count("BALLAST_RESILIENCE_KILLS", DefaultKills, 1);
        var takeOverCount = Count("BALLAST_RESILIENCE_TAKEOVERS", DefaultTakeOvers, 1);
        await using var guest = await fixture.StartBallastGuestAsync(new BallastGuestOptions
        {
            Name = "resilience",
            MemoryBytes = GuestRamBytes,
            Append = "ballast.dirty=1600 ballast.report=0",
        });
        await guest.VerifyAsync(async () =>
        {
            await guest.WaitConnectedAsync(TimeSpan.FromSeconds(10));
            var cursor = guest.Serial.Count;
            var random = new Random(Seed);
            // Each event at its own random moment in the first 90% of the run (the rest lets the last one settle).
            var events = Enumerable.Repeat(false, killCount).Concat(Enumerable.Repeat(true, takeOverCount))
                .Select(takeOver => (At: TimeSpan.FromMilliseconds(random.NextDouble() * duration.TotalMilliseconds * 0.9), TakeOver: takeOver))
                .OrderBy(e => e.At).ToList();
            var kills = new List<TimeSpan>();
            var takeOvers = new List<double>();
            var targetsSet = 0;
            var hogs = 0;
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < duration)
            {
                if (hogs < Hogs && clock.Elapsed >= duration * hogs / Hogs)
                {
                    await guest.Qemu.SendConsoleAsync(string.Create(CultureInfo.InvariantCulture, $"hog {HogMib}"));
                    hogs++;
                }
                while (events.Count > 0 && events[0].At <= clock.Elapsed)
                {
                    if (events[0].TakeOver)
                        takeOvers.Add(await TakeOverAsync(guest));
                    else
                        kills.Add(await guest.KillWorkerAsync(s_resumeTimeout));
                    events.RemoveAt(0);
                }
                await guest.Api.SetTargetAsync(random.Next(0, MaxTargetMib + 1) * MiB);
                targetsSet++;
                var pause = TimeSpan.FromMilliseconds(random.Next(500, 3001));
                var left = duration - clock.Elapsed;
                if (left > TimeSpan.Zero)
                    await Task.Delay(pause < left ? pause : left);
                Assert.False(guest.Qemu.HasExited, $"QEMU exited during the soak: {guest.Qemu.ExitReason()}");
                Assert.False(guest.Daemon.HasExited, $"the daemon exited during the soak (status {guest.Daemon.ExitCode}):\n{guest.Daemon.Log()}");
            }
            Assert.Empty(events);

            await guest.Api.SetTargetAsync(MaxTargetMib * MiB);
            await guest.WaitActualAsync(actual => actual == MaxTargetMib * MiB, "actual_bytes = the final target", s_balloonTimeout);
            var settled = await guest.WaitReleasedAsync(s_balloonTimeout);
            var host = guest.Qemu.HostMemoryBytes();
            await GuestWait.UntilAsync(_ => Task.FromResult(guest.Serial.All("hog started").Count(e => e.Index >= cursor) >= hogs),
                s_hogTimeout, BallastGuest.PollInterval, () => $"{hogs} hogs to start", guest.Qemu.ExitReason);
            var vmstat = await SoakTests.ReportAfterHogChecksAsync(guest);

            var corrupt = guest.Serial.All("hog corrupt").Count;
            var summary = string.Create(CultureInfo.InvariantCulture,
                $"ballast resilience soak: {clock.Elapsed.TotalSeconds:0} s, seed {Seed}: targets set {targetsSet}; kill -9 of the worker {kills.Count} " +
                $"(kill to serving again: median {Median(kills.Select(k => k.TotalMilliseconds))} ms, max {kills.Max(k => k.TotalMilliseconds):0} ms); " +
                $"take-overs {takeOvers.Count} (pause: median {Median(takeOvers)} ms, max {takeOvers.Max():0} ms); hogs {hogs} x {HogMib} MiB, " +
                $"corruptions {corrupt}; OOM kills {vmstat.Int64("oom_kill")}; host memory {host / MiB} MiB with {settled.ActualBytes / MiB} MiB ballooned");
            output.WriteLine(summary);
            Console.WriteLine(summary);

            Assert.Equal(killCount, kills.Count);
            Assert.Equal(takeOverCount, takeOvers.Count);
            Assert.Equal((ulong)(MaxTargetMib * MiB), settled.ActualBytes);
            Assert.Equal(settled.ActualBytes, settled.BalloonedBytes);
            Assert.True(host <= GuestRamBytes - (long)settled.ActualBytes,
                $"host memory behind guest RAM is {host / MiB} MiB with {settled.ActualBytes / MiB} MiB ballooned: {summary}");
            Assert.Equal(0, corrupt);
            Assert.Equal(0, vmstat.Int64("oom_kill"));
            GuestAssert.NoKernelTrouble(guest);
            GuestAssert.QemuNoticedNothing(guest);
            Assert.False(guest.Qemu.HasExited, $"QEMU exited: {guest.Qemu.ExitReason()}");
        });
    }

    /// <summary>A take-over; returns the pause the new daemon logged, in ms.</summary>
    private static async Task<double> TakeOverAsync(BallastGuest guest)
    {
        var daemon = await guest.TakeOverAsync();
        var log = daemon.Log(2000);
        const string Marker = "the session resumed ";
        var at = log.IndexOf(Marker, StringComparison.Ordinal);
        Assert.True(at >= 0, $"the new daemon did not log its pause:\n{log}");
        var text = log[(at + Marker.Length)..];
        return double.Parse(text[..text.IndexOf(' ', StringComparison.Ordinal)], CultureInfo.InvariantCulture);
    }

    private static string Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? "-" : sorted[sorted.Count / 2].ToString("0", CultureInfo.InvariantCulture);
    }

    /// <summary>An environment variable's whole number (at least <paramref name="min"/>), or <paramref name="fallback"/>.</summary>
    private static int Count(string variable, int fallback, int min)
    {
        var text = Environment.GetEnvironmentVariable(variable);
        if (string.IsNullOrWhiteSpace(text))
            return fallback;
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min
            ? value
            : throw new ArgumentException($"{variable} must be a whole number, at least {min}; got '{text}'");
    }
}
