using System.Globalization;
using System.Text.RegularExpressions;
using Ballast.Native.Tests.Infrastructure;
using Ballast.TestKit;

namespace Ballast.Native.Tests;

/// <summary>
/// Issue #15's footprint: once a guest's session is set up and the daemon goes quiet, the supervisor and its worker each
/// give back the program's file pages start-up left mapped (and the heap's free space), so neither keeps most of the
/// 12 MB image resident.
/// </summary>
[Collection(NativeCollection.Name)]
public partial class IdleTrimTests(NativeBinaryFixture native)
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Serve_IdleWithAGuest_SupervisorAndWorkerReleaseTheirStartupPages()
    {
        using var directory = new TempDirectory();
        var socket = directory.File("b.sock");
        using var daemon = Ballastd.Start(native.BinaryPath, "serve", "--socket", socket, "--api", directory.File("api.sock"),
            "--log-level", "debug", "--log-format", "systemd");
        Assert.True(await UnixHttp.WaitUntilAsync(() => daemon.ServesLogged > 0 || daemon.Process.HasExited, s_timeout),
            $"ballastd serve did not start: {daemon.Log}");
        using var guest = new ConnectedGuest(socket);
        var worker = daemon.Worker() ?? throw new InvalidOperationException($"no worker: {daemon.Log}");
        var supervisorBefore = Trims(daemon.Log, "Ballast.Daemon.Supervision.ServeSupervisor").Count;
        var workerBefore = Trims(daemon.Log, "Ballast.Daemon.ServeDaemon").Count;

        // Both trim once the guest's set-up has been quiet for IdleTrim.Delay.
        var trimmed = await UnixHttp.WaitUntilAsync(() => Trims(daemon.Log, "Ballast.Daemon.Supervision.ServeSupervisor").Count > supervisorBefore
            && Trims(daemon.Log, "Ballast.Daemon.ServeDaemon").Count > workerBefore, s_timeout);

        Assert.True(trimmed, $"no trim after the guest connected: {daemon.Log}");
        var image = new FileInfo(native.BinaryPath).Length / 1024;
        foreach (var (pid, category) in (ReadOnlySpan<(int, string)>)[(daemon.Process.Id, "Ballast.Daemon.Supervision.ServeSupervisor"), (worker, "Ballast.Daemon.ServeDaemon")])
        {
            Assert.Contains(Trims(daemon.Log, category), kib => kib > 1024);
            // Start-up had most of the image mapped; what idling maps back is a fraction of it.
            var rssFile = StatusKiB(pid, "RssFile");
            Assert.True(rssFile < image / 2, $"{category} (pid {pid}) has {rssFile} kB of file pages resident; the image is {image} kB\n{daemon.Log}");
        }
        Assert.Equal(1024UL, guest.Driver.Inflate(1024));
    }

    /// <summary>The KiB each trim line of <paramref name="category"/> released.</summary>
    private static List<long> Trims(string log, string category) =>
        [.. TrimLine().Matches(log).Where(m => m.Groups["category"].Value == category)
            .Select(m => long.Parse(m.Groups["kib"].Value, CultureInfo.InvariantCulture))];

    private static long StatusKiB(int pid, string field)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return long.Parse(line[(field.Length + 1)..].Replace("kB", "", StringComparison.Ordinal).Trim(), CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"<7>(?<category>\S+)\[450\] trimmed: released (?<kib>\d+) KiB")]
    private static partial Regex TrimLine();
}
