using System.Globalization;
using System.Text.RegularExpressions;
using Ballast.GuestLab;
using Ballast.GuestBench;
using Ballast.Guest.Tests.Infrastructure;

namespace Ballast.Guest.Tests;

/// <summary>
/// Ballast's own SG balloon module (<c>guest/module/</c>, <c>ballast.module=ballast_balloon</c>, order-0 pages: the
/// seed's F_SG in a real Linux guest) against the daemon with <c>--features stats,deflate-on-oom,sg,must-tell-host
/// --defer-release</c> (the module tells the host before it reuses a page, so the device returns inflate buffers
/// before releasing: every scenario here also checks that ordering under a real kernel; the stock driver's tests and
/// guest-bench's cover synchronous release), on one
/// 2 GiB guest that dirtied 1600 MiB at boot and reports meminfo every 0.5 s. In order: bind and SG negotiation,
/// statistics, inflate, deflate, a 60-second stress, compaction (balloon page migration), deflate-on-OOM, unload
/// and reload, an OOM racing an inflate, suspend/resume (the module's freeze and restore), then 2 MiB blocks kept
/// whole (<c>alloc_order=9</c>) — each leaving the guest as the next expects
/// (the stress leaves its small hogs running; the OOM test accounts for them; the race frees them all).
/// </summary>
[Collection(GuestCollection.Name)]
[TestCaseOrderer(OrderedTests.TypeName, OrderedTests.AssemblyName)]
public sealed class SgDriverTests(GuestFixture fixture, SharedGuest shared) : IClassFixture<SharedGuest>
{
    private const string Features = "stats,deflate-on-oom,sg,must-tell-host";
    private const long MiB = 1L << 20;
    private const long InflateBytes = 1536 * MiB;
    private const long InflateKb = InflateBytes / 1024;
    private const int MustTellHostBit = 0;
    private const int StatsVqBit = 1;
    private const int DeflateOnOomBit = 2;
    private static readonly TimeSpan s_balloonTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan s_hogTimeout = TimeSpan.FromMinutes(3);

    private Task<BallastGuest> GuestAsync() => shared.GetAsync(fixture, new BallastGuestOptions
    {
        Name = "sg",
        Features = Features,
        DeferRelease = true,
        Append = $"ballast.module={GuestBenchDrivers.BallastModule} ballast.modargs=dyndbg=+p ballast.dirty=1600 ballast.report=0.5",
    });

    /// <summary>
    /// ballast_balloon loads, binds to virtio id 5 and negotiates SG (bit 23) with must-tell-host, stats and
    /// deflate-on-oom; the API shows it, and the device defers its releases.
    /// </summary>
    [Fact]
    [Order(1)]
    public async Task SgModule_Binds_NegotiatesSgBit23_ApiShowsSg()
    {
        var guest = await GuestAsync();
        await guest.VerifyAsync(async () =>
        {
            var loaded = guest.Serial.Last("balloon") ?? throw new InvalidOperationException("no BALLAST balloon line");
            Assert.Equal(GuestBenchDrivers.BallastModule, loaded["module"]);
            Assert.Equal("yes", loaded["loaded"]);
            var virtio = guest.Serial.Last("virtio") ?? throw new InvalidOperationException("no BALLAST virtio line");
            Assert.Equal("0x0005", virtio["id"]);
            Assert.Equal(GuestBenchDrivers.BallastModule, virtio["driver"]);
            var negotiated = Facts.FeatureBits(virtio);
            foreach (var bit in new[] { GuestBenchRunner.SgBit, MustTellHostBit, StatsVqBit, DeflateOnOomBit })
                Assert.True((negotiated & (1UL << bit)) != 0, $"bit {bit} not negotiated: {Facts.BitList(negotiated)}");
            Assert.Equal(23, GuestBenchRunner.SgBit);

            var state = await guest.WaitConnectedAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(["must-tell-host", "stats", "deflate-on-oom", "sg"], state.Features);
            Assert.InRange(state.GuestBytes, (2UL << 30) - MiB, 2UL << 30);
            Assert.Equal(0UL, state.ActualBytes);
        });
    }

    /// <summary>With a polling interval set, the module's statistics reach GET /balloon/statistics and match /proc/meminfo within 5%.</summary>
    [Fact]
    [Order(2)]
    public async Task Statistics_ReachTheApi_AndAgreeWithGuestMeminfo()
    {
        var guest = await GuestAsync();
        await guest.VerifyAsync(() => BalloonScenarios.StatisticsAgreeWithMeminfoAsync(guest));
    }

    /// <summary>
    /// Inflating to 1.5 GiB over SG: actual reaches the target, MemFree drops by 1.5 GiB (±2%), and the host memory
    /// behind guest RAM drops by at least 95% of 1.5 GiB.
    /// </summary>
    [Fact]
    [Order(3)]
    public async Task Inflate_To1536MiB_ReachesTarget_MemFreeDrops_HostMemoryReleased()
    {
        var guest = await GuestAsync();
        await guest.VerifyAsync(() => BalloonScenarios.InflateReleasesHostMemoryAsync(guest, InflateBytes, s_balloonTimeout));
    }

    /// <summary>Deflating to 0: actual and ballooned bytes 0, MemFree back within 2% of the boot-time value.</summary>
    [Fact]
    [Order(4)]
    public async Task Deflate_To0_ActualZero_MemFreeBack()
    {
        var guest = await GuestAsync();
        await guest.VerifyAsync(() => BalloonScenarios.DeflateToZeroAsync(guest, InflateBytes, s_balloonTimeout));
    }

    /// <summary>
    /// 60 seconds of random targets (0–1 GiB, a new one every 2–4 s, seeded) while the guest starts a 16 MiB hog at
    /// every other step, 8 at most (the console's <c>hog</c> command: anonymous memory, touched and held — /init has no command
    /// that frees it again, so the workload only allocates). Afterwards the guest answers <c>report</c>, reaches the
    /// last target, the device's ballooned bytes equal the guest's actual, no hog was killed or found a page of its
    /// memory changed (the hogs check theirs every second), and the serial log has no kernel WARNING, BUG, Oops or
    /// Call Trace.
    /// </summary>
    [Fact]
    [Order(5)]
    public async Task Stress_RandomTargetsFor60s_WithGuestAllocations_GuestHealthy_DeviceAgrees_NoKernelTrouble()
    {
        const int Hogs = 8;
        const int HogMib = 16;
        var guest = await GuestAsync();
        await guest.VerifyAsync(async () =>
        {
            await guest.WaitConnectedAsync(TimeSpan.FromSeconds(10));
            var random = new Random(20261126);
            var cursor = guest.Serial.Count;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var targets = new List<long>();
            var hogs = 0;
            for (var step = 0; clock.Elapsed < TimeSpan.FromSeconds(60); step++)
            {
                var target = random.Next(0, 1025) * MiB;
                targets.Add(target);
                await guest.Api.SetTargetAsync(target);
                if (step % 2 == 1 && hogs < Hogs)
                {
                    await guest.Qemu.SendConsoleAsync(string.Create(CultureInfo.InvariantCulture, $"hog {HogMib}"));
                    hogs++;
                }
                await Task.Delay(TimeSpan.FromMilliseconds(random.Next(2000, 4001)));
                Assert.False(guest.Qemu.HasExited, $"QEMU exited during the stress: {guest.Qemu.ExitReason()}");
                Assert.False(guest.Daemon.HasExited, "the daemon exited during the stress");
            }

            var last = targets[^1];
            var settled = await guest.WaitActualAsync(actual => actual == (ulong)last, $"actual_bytes = the last target {last}", s_balloonTimeout);
            await GuestWait.UntilAsync(_ => Task.FromResult(guest.Serial.All("hog started").Count(e => e.Index >= cursor) == hogs),
                s_hogTimeout, BallastGuest.PollInterval, () => $"{hogs} hogs to start", guest.Qemu.ExitReason);

            var ack = await guest.Qemu.SendConsoleAsync("report");
            Assert.Equal("report", ack["cmd"]);
            var vmstat = await guest.Qemu.WaitForAsync("vmstat", TimeSpan.FromSeconds(30), after: ack.Index);
            var state = await guest.StateAsync();

            Assert.True(targets.Count >= 15, $"only {targets.Count} targets in 60 s");
            Assert.Equal((ulong)last, settled.ActualBytes);
            Assert.Equal(state.ActualBytes, state.BalloonedBytes);
            Assert.Equal((ulong)last, state.BalloonedBytes);
            Assert.Equal(0, vmstat.Int64("oom_kill"));
            Assert.DoesNotContain(guest.Serial.All("hog killed"), e => e.Index >= cursor);
            Assert.DoesNotContain(guest.Serial.All("hog exited"), e => e.Index >= cursor);
            GuestAssert.NoKernelTrouble(guest);
        });
    }

    /// <summary>
    /// Deflate-on-OOM with the SG module: a 1.5 GiB balloon, then a 1 GiB hog (on top of the stress test's hogs, if
    /// it ran). The module's OOM notifier gives balloon pages back: the hog gets its memory, nothing is OOM-killed,
    /// and the balloon shrinks below the target, far enough for the hog.
    /// </summary>
    [Fact]
    [Order(7)]
    public async Task DeflateOnOom_BalloonAt1536MiB_1GiBHog_NoOomKill_BalloonShrinks()
    {
        var guest = await GuestAsync();
        await guest.VerifyAsync(async () =>
        {
            await guest.WaitConnectedAsync(TimeSpan.FromSeconds(10));
            var held = guest.Serial.All("hog started").Sum(e => e.Int64("mib")) * MiB;
            await guest.SetTargetAndWaitAsync(InflateBytes, s_balloonTimeout);

            var cursor = guest.Serial.Count;
            await guest.Qemu.SendConsoleAsync("hog 1024");
            var started = await guest.Qemu.WaitForAsync("hog started", s_hogTimeout, e => e.Int64("mib") == 1024, after: cursor);
            var vmstat = await guest.Qemu.WaitForAsync("vmstat", TimeSpan.FromSeconds(30), after: started.Index);
            var state = await guest.StateAsync();

            Assert.DoesNotContain(guest.Serial.All("hog killed"), e => e.Index >= cursor);
            Assert.Equal(0, vmstat.Int64("oom_kill"));
            Assert.True(state.ActualBytes < (ulong)InflateBytes, $"actual {state.ActualBytes} did not shrink below the {InflateBytes}-byte target");
            var room = (2UL << 30) - (1UL << 30) - (ulong)held;
            Assert.True(state.ActualBytes <= room, $"actual {state.ActualBytes / (ulong)MiB} MiB leaves no room for a 1 GiB hog and {held / MiB} MiB of earlier hogs");
            Assert.Equal(state.ActualBytes, state.BalloonedBytes);

            // Let go: otherwise the driver keeps re-inflating towards the target against the hog.
            await guest.SetTargetAndWaitAsync(0, s_balloonTimeout);
            GuestAssert.NoKernelTrouble(guest);
        });
    }

    /// <summary>
    /// Unloading the module with 256 MiB in the balloon: it gives every frame back (its own accounting: "removed: gave
    /// back 65536 frames; balloon 0 frames, list empty, 0 isolated"), the guest's vmstat counts as many deflated
    /// pages as inflated, the device holds nothing; loaded again, it binds and inflates to the target again.
    /// </summary>
    [Fact]
    [Order(8)]
    public async Task Unload_WithPagesInflated_GivesEveryFrameBack_LoadsAgainAndInflates()
    {
        const long Bytes = 256 * MiB;
        var guest = await GuestAsync();
        await guest.VerifyAsync(async () =>
        {
            await guest.WaitConnectedAsync(TimeSpan.FromSeconds(10));
            await guest.SetTargetAndWaitAsync(Bytes, s_balloonTimeout);

            await UnloadGivesEverythingBackAsync(guest, Bytes);
            await ReloadAsync(guest);
            var again = await guest.WaitActualAsync(actual => actual == (ulong)Bytes, $"actual_bytes = {Bytes} after reloading", s_balloonTimeout);
            Assert.Contains("sg", again.Features);
            Assert.Equal((ulong)Bytes, (await guest.WaitReleasedAsync(s_balloonTimeout)).BalloonedBytes);

            await guest.SetTargetAndWaitAsync(0, s_balloonTimeout);
            GuestAssert.NoKernelTrouble(guest);
        });
    }

    /// <summary>
    /// Balloon page migration under a real kernel: with 384 MiB of order-0 balloon pages spread over a fragmented
    /// guest, a full compaction (<c>/proc/sys/vm/compact_memory</c>) migrates some of them — the module tells the host
    /// one entry inflated (new page) and one deflated (old page) each — and afterwards the device's ballooned bytes
    /// still equal the guest's actual, the hogs' memory is intact and the kernel logged no trouble.
    /// </summary>
    [Fact]
    [Order(6)]
    public async Task Compaction_MigratesBalloonPages_DeviceAndGuestStillAgree()
    {
        const long Bytes = 384 * MiB;
        var guest = await GuestAsync();
        await guest.VerifyAsync(async () =>
        {
            await guest.WaitConnectedAsync(TimeSpan.FromSeconds(10));
            await guest.SetTargetAndWaitAsync(Bytes, s_balloonTimeout);
            var inflatedBefore = (await guest.StateAsync()).BalloonedBytes;

            var ack = await guest.Qemu.SendConsoleAsync("compact");
            var compact = await guest.Qemu.WaitForAsync("compact", s_balloonTimeout, after: ack.Index);
            var settled = await guest.WaitReleasedAsync(s_balloonTimeout);
            var vmstat = await guest.Qemu.WaitForAsync("vmstat", TimeSpan.FromSeconds(30), after: compact.Index);

            Assert.True(compact.Int64("migrated") > 0, $"compaction migrated no balloon page: {compact}");
            Assert.True(vmstat.Int64("balloon_migrate") >= compact.Int64("migrated"), vmstat.ToString());
            Assert.Equal((ulong)Bytes, inflatedBefore);
            Assert.Equal((ulong)Bytes, settled.ActualBytes);
            Assert.Equal(settled.ActualBytes, settled.BalloonedBytes);
            Assert.Equal(0, vmstat.Int64("oom_kill"));

            await guest.SetTargetAndWaitAsync(0, s_balloonTimeout);
            Assert.Equal(0UL, (await guest.StateAsync()).BalloonedBytes);
            GuestAssert.NoKernelTrouble(guest);
        });
    }

    /// <summary>
    /// An OOM racing an inflate (the module's self-deadlock and OOM-stall bugs lived here): every hog freed (each checks
    /// its pages once more: none changed), then a 1.5 GiB target and at once a 1 GiB hog. The OOM notifier takes the
    /// balloon lock only within a bounded wait, so whichever way the race goes — the hog gets memory from the balloon,
    /// or the OOM killer ends it — the guest keeps answering, the balloon reaches its target and then 0 again, and
    /// the device agrees with the guest.
    /// </summary>
    [Fact]
    [Order(9)]
    public async Task Oom_RacingAnInflate_NoHang_BalloonStillFollowsTargets()
    {
        var guest = await GuestAsync();
        await guest.VerifyAsync(async () =>
        {
            await guest.WaitConnectedAsync(TimeSpan.FromSeconds(10));
            var running = guest.Serial.All("hog started").Count() - guest.Serial.All("hog exited").Count() - guest.Serial.All("hog killed").Count();
            var cursor = guest.Serial.Count;
            await guest.Qemu.SendConsoleAsync("unhog");
            await GuestWait.UntilAsync(_ => Task.FromResult(guest.Serial.All("hog exited").Count(e => e.Index >= cursor) >= running),
                s_hogTimeout, BallastGuest.PollInterval, () => $"{running} hogs to exit", guest.Qemu.ExitReason);
            Assert.All(guest.Serial.All("hog exited").Where(e => e.Index >= cursor), e => Assert.Equal("0", e["rc"]));

            cursor = guest.Serial.Count;
            await guest.Api.SetTargetAsync(InflateBytes);
            await guest.Qemu.SendConsoleAsync("hog 1024");
            var outcome = await guest.Serial.WaitForAnyAsync(["hog started", "hog killed"], s_hogTimeout, after: cursor, abort: guest.Qemu.ExitReason);
            var ack = await guest.Qemu.SendConsoleAsync("report");
            var vmstat = await guest.Qemu.WaitForAsync("vmstat", TimeSpan.FromSeconds(60), after: ack.Index);
            Assert.True(outcome.Name == "hog started" || vmstat.Int64("oom_kill") >= 1, $"the hog ended without an OOM kill: {outcome}; {vmstat}");

            // The driver keeps inflating towards the target against the hog; letting go must work whatever happened.
            await guest.SetTargetAndWaitAsync(0, s_balloonTimeout);
            var state = await guest.StateAsync();
            Assert.Equal(0UL, state.ActualBytes);
            Assert.Equal(0UL, state.BalloonedBytes);
            await guest.Qemu.SendConsoleAsync("unhog");
            GuestAssert.NoKernelTrouble(guest);
        });
    }

    /// <summary>
    /// System sleep under TCG: <c>pm_test=devices</c> and s2idle (the console's <c>suspend</c>) run every device's
    /// suspend and resume without sleeping — for a virtio driver its <c>.freeze</c> and <c>.restore</c>. With 256 MiB
    /// in the balloon, freeze empties it (telling the host: "frozen: balloon 0 frames") and tears the queues down;
    /// restore sets them up again and the size work refills to the target: actual and the device's ballooned bytes are
    /// 256 MiB again, the statistics queue answers again, and the kernel logged no trouble.
    /// </summary>
    [Fact]
    [Order(10)]
    public async Task Suspend_FreezeEmptiesTheBalloon_RestoreRefillsIt()
    {
        const long Bytes = 256 * MiB;
        var guest = await GuestAsync();
        await guest.VerifyAsync(async () =>
        {
            await guest.WaitConnectedAsync(TimeSpan.FromSeconds(10));
            await guest.SetTargetAndWaitAsync(Bytes, s_balloonTimeout);
            var logBefore = File.ReadAllText(guest.Qemu.Serial.Path).Length;

            var ack = await guest.Qemu.SendConsoleAsync("suspend");
            var resumed = await guest.Qemu.WaitForAsync("suspend", s_balloonTimeout, after: ack.Index);
            Assert.Equal("0", resumed["rc"]);
            var log = File.ReadAllText(guest.Qemu.Serial.Path)[logBefore..];
            Assert.Contains("ballast_balloon virtio0: frozen: balloon 0 frames", log, StringComparison.Ordinal);
            Assert.Contains("ballast_balloon virtio0: restored:", log, StringComparison.Ordinal);

            var again = await guest.WaitActualAsync(actual => actual == (ulong)Bytes, $"actual_bytes = {Bytes} after resume", s_balloonTimeout);
            Assert.Equal((ulong)Bytes, (await guest.WaitReleasedAsync(s_balloonTimeout)).BalloonedBytes);
            Assert.Contains("sg", again.Features);
            await BalloonScenarios.StatisticsAgreeWithMeminfoAsync(guest);

            await guest.SetTargetAndWaitAsync(0, s_balloonTimeout);
            GuestAssert.NoKernelTrouble(guest);
        });
    }

    /// <summary>
    /// 2 MiB blocks kept whole (<c>param alloc_order 9</c> at run time; keep_blocks is on by default): with a 256 MiB
    /// hog checking its pages, an inflate to 1 GiB allocates blocks (the debug line's <c>blocks=</c>) and sends few
    /// runs; a deflate by 1 MiB splits one block (half of it stays in the balloon as order-0 pages), compaction runs
    /// over the rest, the device agrees with the guest at every step, and unloading gives every frame back with no
    /// block left (vmstat: as many pages deflated as inflated). Reloaded (parameters back to their defaults), the
    /// module binds again.
    /// </summary>
    [Fact]
    [Order(11)]
    public async Task HighOrder_BlocksKeptWhole_SplitOnPartialDeflate_UnloadGivesAllBack()
    {
        const long Bytes = 1024 * MiB;
        const long Partial = Bytes - MiB;
        var guest = await GuestAsync();
        await guest.VerifyAsync(async () =>
        {
            await guest.WaitConnectedAsync(TimeSpan.FromSeconds(10));
            var cursor = guest.Serial.Count;
            await guest.Qemu.SendConsoleAsync("hog 256");
            await guest.Qemu.WaitForAsync("hog started", s_hogTimeout, e => e.Int64("mib") == 256, after: cursor);
            var set = await guest.Qemu.SendConsoleAsync("param alloc_order 9");
            Assert.Equal("0", (await guest.Qemu.WaitForAsync("param", TimeSpan.FromSeconds(30), after: set.Index))["rc"]);
            var logBefore = File.ReadAllText(guest.Qemu.Serial.Path).Length;

            await guest.SetTargetAndWaitAsync(Bytes, s_balloonTimeout);
            Assert.Equal((ulong)Bytes, (await guest.WaitReleasedAsync(s_balloonTimeout)).BalloonedBytes);
            await guest.Qemu.SendConsoleAsync("report");
            await guest.Qemu.WaitForAsync("vmstat", TimeSpan.FromSeconds(30), after: set.Index);
            var inflates = s_inflateLine.Matches(File.ReadAllText(guest.Qemu.Serial.Path)[logBefore..]);
            Assert.NotEmpty(inflates);
            var blocks = inflates.Sum(m => long.Parse(m.Groups["blocks"].Value, CultureInfo.InvariantCulture));
            var entries = inflates.Sum(m => long.Parse(m.Groups["entries"].Value, CultureInfo.InvariantCulture));
            Assert.True(blocks >= Bytes / (4 * MiB), $"{blocks} high-order allocations for {Bytes / MiB} MiB");
            Assert.True(entries < blocks, $"{entries} SG entries for {blocks} blocks: runs were not merged");
            // Kept whole, the blocks are marked offline once the balloon is on target: one settle line counts them.
            Match settle = Match.Empty;
            await GuestWait.UntilAsync(_ => Task.FromResult((settle = s_settleLine.Match(File.ReadAllText(guest.Qemu.Serial.Path)[logBefore..])).Success),
                TimeSpan.FromSeconds(30), BallastGuest.PollInterval, () => "the module's settle line", guest.Qemu.ExitReason);
            Assert.Equal(blocks, long.Parse(settle.Groups["blocks"].Value, CultureInfo.InvariantCulture));

            await guest.SetTargetAndWaitAsync(Partial, s_balloonTimeout);
            Assert.Equal((ulong)Partial, (await guest.StateAsync()).BalloonedBytes);
            var ack = await guest.Qemu.SendConsoleAsync("compact");
            await guest.Qemu.WaitForAsync("compact", s_balloonTimeout, after: ack.Index);
            var settled = await guest.WaitReleasedAsync(s_balloonTimeout);
            Assert.Equal((ulong)Partial, settled.ActualBytes);
            Assert.Equal(settled.ActualBytes, settled.BalloonedBytes);

            await UnloadGivesEverythingBackAsync(guest, Partial);
            var reload = await ReloadAsync(guest);
            await guest.SetTargetAndWaitAsync(0, s_balloonTimeout);
            await guest.Qemu.SendConsoleAsync("unhog");
            await guest.Qemu.WaitForAsync("hog exited", s_hogTimeout, after: reload.Index);
            GuestAssert.NoKernelTrouble(guest);
        });
    }

    /// <summary>
    /// The module's parameters are checked: an order the buddy allocator does not have (alloc_order 11) and no frames
    /// per OOM call (oom_pages 0) are refused at run time; an SG bit the spec gives to a standard feature (3 =
    /// FREE_PAGE_HINT, 4 = PAGE_POISON, 5 = PAGE_REPORTING) makes insmod fail with a line that says why. Loaded again with
    /// its boot parameters, the module binds with SG as before.
    /// </summary>
    [Fact]
    [Order(12)]
    public async Task Parameters_OutOfRange_Refused_SgBitOfAStandardFeature_Refused()
    {
        var guest = await GuestAsync();
        await guest.VerifyAsync(async () =>
        {
            await guest.WaitConnectedAsync(TimeSpan.FromSeconds(10));
            foreach (var (name, value, ok) in new[] { ("alloc_order", "11", false), ("oom_pages", "0", false), ("oom_pages", "256", true), ("alloc_order", "0", true) })
            {
                var set = await guest.Qemu.SendConsoleAsync($"param {name} {value}");
                var answer = await guest.Qemu.WaitForAsync("param", TimeSpan.FromSeconds(30), after: set.Index);
                Assert.True((answer["rc"] == "0") == ok, $"param {name} {value}: {answer}");
            }

            await UnloadGivesEverythingBackAsync(guest, 0);
            foreach (var bit in new[] { 3, 4, 5 })
            {
                var logBefore = File.ReadAllText(guest.Qemu.Serial.Path).Length;
                var ack = await guest.Qemu.SendConsoleAsync($"insmod sg_bit={bit}");
                var refused = await guest.Qemu.WaitForAsync("module", s_balloonTimeout, e => e["action"] == "insmod", after: ack.Index);
                Assert.NotEqual("0", refused["rc"]);
                Assert.Contains($"sg_bit={bit}: must be 6-23", File.ReadAllText(guest.Qemu.Serial.Path)[logBefore..], StringComparison.Ordinal);
            }
            await ReloadAsync(guest);
            IReadOnlyList<string> features = [];
            await GuestWait.UntilAsync(async ct => (features = (await guest.StateAsync(ct)).Features).Contains("sg"), TimeSpan.FromSeconds(30),
                BallastGuest.PollInterval, () => $"the reloaded module to negotiate sg (features: {string.Join(',', features)})", guest.Qemu.ExitReason);
            GuestAssert.NoKernelTrouble(guest);
        });
    }

    /// <summary>
    /// <c>rmmod</c> with <paramref name="bytes"/> in the balloon: the module gives every frame back by its own account
    /// ("removed: gave back N frames; balloon 0 frames, list empty, blocks none, 0 isolated"), vmstat counts as many
    /// pages deflated as inflated, and the device holds nothing.
    /// </summary>
    private static async Task UnloadGivesEverythingBackAsync(BallastGuest guest, long bytes)
    {
        var logBefore = File.ReadAllText(guest.Qemu.Serial.Path).Length;
        var ack = await guest.Qemu.SendConsoleAsync("rmmod");
        var unloaded = await guest.Qemu.WaitForAsync("module", s_balloonTimeout, e => e["action"] == "rmmod", after: ack.Index);
        Assert.Equal("0", unloaded["rc"]);
        var removed = s_removed.Match(File.ReadAllText(guest.Qemu.Serial.Path)[logBefore..]);
        Assert.True(removed.Success, $"no 'removed:' line from the module:\n{guest.Serial.Tail(30)}");
        Assert.Equal(bytes / 4096, long.Parse(removed.Groups["gave"].Value, CultureInfo.InvariantCulture));
        Assert.Equal("0", removed.Groups["balloon"].Value);
        Assert.Equal("empty", removed.Groups["list"].Value);
        Assert.Equal("none", removed.Groups["blocks"].Value);
        Assert.Equal("0", removed.Groups["isolated"].Value);
        var vmstat = await guest.Qemu.WaitForAsync("vmstat", TimeSpan.FromSeconds(30), after: unloaded.Index);
        Assert.Equal(vmstat.Int64("balloon_inflate"), vmstat.Int64("balloon_deflate"));
        var gone = await guest.StateAsync();
        Assert.Equal(0UL, gone.BalloonedBytes);
        Assert.Equal(0UL, gone.ActualBytes);
    }

    /// <summary><c>insmod</c> again (with the boot's modargs): it loads; returns the acknowledgment.</summary>
    private static async Task<SerialEvent> ReloadAsync(BallastGuest guest)
    {
        var reload = await guest.Qemu.SendConsoleAsync("insmod");
        var loaded = await guest.Qemu.WaitForAsync("module", s_balloonTimeout, e => e["action"] == "insmod", after: reload.Index);
        Assert.Equal("0", loaded["rc"]);
        return reload;
    }

    private static readonly Regex s_settleLine = new(@"ballast_balloon \S+: settle blocks=(?<blocks>\d+) ", RegexOptions.CultureInvariant);

    private static readonly Regex s_inflateLine = new(
        @"ballast_balloon \S+: inflate pages=(?<pages>\d+) blocks=(?<blocks>\d+) span=\d+ entries=(?<entries>\d+) ",
        RegexOptions.CultureInvariant);

    private static readonly Regex s_removed = new(
        @"removed: gave back (?<gave>\d+) frames; balloon (?<balloon>\d+) frames, list (?<list>[A-Za-z ]+?), blocks (?<blocks>[A-Za-z]+), (?<isolated>\d+) isolated",
        RegexOptions.CultureInvariant);
}
