using System.Diagnostics;
using System.Globalization;
using Ballast.TestKit;

namespace Ballast.Cli.Tests.Serve;

/// <summary>
/// Under systemd: the supervisor mirrors every kept descriptor into the service's file-descriptor store
/// (<c>FDSTORE=1</c> with <c>FDNAME=</c>, <c>FDSTOREREMOVE=1</c>) and says <c>READY=1</c> once its worker serves; when
/// the whole daemon dies, systemd starts it again with the store in <c>LISTEN_FDS</c>/<c>LISTEN_FDNAMES</c>, and the
/// session carries on. systemd itself is played by <see cref="NotifySocketRecorder"/> and a shell that passes the
/// stored descriptors from 3 on, as systemd does.
/// </summary>
public partial class ServeProcessTests
{
    [Fact]
    public async Task UnderSystemd_TheStoreHoldsTheSession_AndADaemonStartedFromItCarriesOn()
    {
        using var directory = new TempDirectory();
        var socket = directory.File("b.sock");
        var api = directory.File("api.sock");
        using var systemd = new NotifySocketRecorder(directory.File("notify.sock"));
        var first = StartUnderSystemd(systemd, new Dictionary<string, int>(), socket, api);
        using var firstDaemon = new Daemon(first.Process, first.Stdout, first.Stderr);
        Assert.True(await UnixHttp.WaitUntilAsync(() => firstDaemon.ServesLogged > 0 || first.Process.HasExited, s_timeout), firstDaemon.Log);
        using var guest = new Guest(socket, sg: false);
        Assert.Equal(4096UL, guest.Driver.Inflate(4096));
        await AssertBalloonAsync(api, 4096);

        string[] session = ["listen", "api", "balloon", "vhost-user", "session", "mem0", "kick0", "call0", "kick1", "call1"];
        Assert.True(await UnixHttp.WaitUntilAsync(() => session.All(systemd.Store.ContainsKey), s_timeout),
            $"the store holds {string.Join(",", systemd.Store.Keys)}; messages:\n{string.Join("\n---\n", systemd.Messages)}");
        Assert.Contains(systemd.Messages, m => m.StartsWith("READY=1", StringComparison.Ordinal));

        // The whole daemon dies (supervisor and, with it, its worker): only systemd's store holds the connection now.
        first.Process.Kill(entireProcessTree: true);
        await first.Process.WaitForExitAsync();
        var store = systemd.Store;
        var second = StartUnderSystemd(systemd, store, socket, api);
        using var secondDaemon = new Daemon(second.Process, second.Stdout, second.Stderr);
        Assert.True(await UnixHttp.WaitUntilAsync(() => secondDaemon.ServesLogged > 0 || second.Process.HasExited, s_timeout), secondDaemon.Log);
        Assert.Contains("service manager handed back", secondDaemon.Log, StringComparison.Ordinal);

        await AssertBalloonAsync(api, 4096);
        Assert.Equal(2048UL, guest.Driver.Inflate(2048));
        await AssertBalloonAsync(api, 6144);
        Assert.Equal(6144UL, guest.Driver.Deflate(6144));
        await AssertBalloonAsync(api, 0);
    }

    private sealed record Started(Process Process, LockedStringWriter Stdout, LockedStringWriter Stderr);

    /// <summary>
    /// <c>ballast serve</c> as systemd would start it: <c>NOTIFY_SOCKET</c> set and, from a store, the descriptors at 3,
    /// 4, … with <c>LISTEN_FDS</c>, <c>LISTEN_FDNAMES</c> and <c>LISTEN_PID</c> (bash puts them in place and execs).
    /// </summary>
    private static Started StartUnderSystemd(NotifySocketRecorder systemd, IReadOnlyDictionary<string, int> store, string socket, string api)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "ballast.dll");
        var names = store.Keys.ToList();
        var script = new System.Text.StringBuilder("set -e; ");
        for (var i = 0; i < names.Count; i++)
        {
            NotifySocketRecorder.Inheritable(store[names[i]]);
            script.Append(CultureInfo.InvariantCulture, $"exec {1000 + i}<&{store[names[i]]}; ");
        }
        for (var i = 0; i < names.Count; i++)
            script.Append(CultureInfo.InvariantCulture, $"exec {3 + i}<&{1000 + i} {1000 + i}<&-; ");
        if (names.Count > 0)
            script.Append(CultureInfo.InvariantCulture, $"export LISTEN_PID=$$ LISTEN_FDS={names.Count} LISTEN_FDNAMES={string.Join(':', names)}; ");
        script.Append(CultureInfo.InvariantCulture, $"exec env --default-signal=INT,TERM NOTIFY_SOCKET={systemd.Path} dotnet {dll} serve --socket {socket} --api {api} --features stats,deflate-on-oom");
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script.ToString());
        var stdout = new LockedStringWriter();
        var stderr = new LockedStringWriter();
        var process = StartCaptured(start, stdout, stderr);
        return new Started(process, stdout, stderr);
    }
}
