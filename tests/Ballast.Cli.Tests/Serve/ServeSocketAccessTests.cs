using Ballast.Daemon.Commands;
using Ballast.Daemon;
using Ballast.TestKit;
using Ballast.Cli.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ballast.Cli.Tests.Serve;

/// <summary>
/// <c>ballast serve</c>'s vhost-user socket with its real transport: 0600 and the daemon's by default;
/// <c>--socket-user</c> gives it to another user, <c>--socket-group</c> to a group with mode 0660.
/// </summary>
public class ServeSocketAccessTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task VhostUserSocket_Is0600AndTheDaemons_ByDefault()
    {
        using var directory = new TempDirectory();
        var socket = directory.File("b.sock");

        var (mode, owner, stderr) = await ServeAndLookAsync(["serve", "--socket", socket]);

        Assert.True(mode == UnixMode.OwnerReadWrite, $"mode {Convert.ToString((int)mode, 8)}: {stderr}");
        Assert.Equal(Ballast.Linux.UnixSocketFile.EffectiveUserId, owner.Uid);
    }

    [RootFact]
    public async Task SocketUserAndGroup_GetTheVhostUserSocket_Mode0660()
    {
        using var directory = new TempDirectory();
        var socket = directory.File("b.sock");

        var (mode, owner, stderr) = await ServeAndLookAsync(["serve", "--socket", socket, "--socket-user", "nobody", "--socket-group", "65534"]);

        Assert.True(mode == UnixMode.OwnerAndGroupReadWrite, $"mode {Convert.ToString((int)mode, 8)}: {stderr}");
        Assert.Equal((UnixMode.Nobody, UnixMode.Nobody), owner);
    }

    [RootFact]
    public async Task SocketUser_GetsTheVhostUserSocket_Mode0600()
    {
        using var directory = new TempDirectory();
        var socket = directory.File("b.sock");

        var (mode, owner, stderr) = await ServeAndLookAsync(["serve", "--socket", socket, "--socket-user", "65534"]);

        Assert.True(mode == UnixMode.OwnerReadWrite, $"mode {Convert.ToString((int)mode, 8)}: {stderr}");
        Assert.Equal(UnixMode.Nobody, owner.Uid);
    }

    /// <summary>Runs serve with the vhost-user transport until it listens; returns the socket's mode and owner then.</summary>
    private static async Task<(UnixFileMode Mode, (uint Uid, uint Gid) Owner, string StdErr)> ServeAndLookAsync(string[] args)
    {
        var socket = args[Array.IndexOf(args, "--socket") + 1];
        using var stop = new CancellationTokenSource();
        using var stdout = new LockedStringWriter();
        using var stderr = new LockedStringWriter();
        var serve = new ServeCommand(VhostUserBackend.Factory, _ => NullLoggerFactory.Instance);
        var run = Task.Run(() => BallastCli.RunAsync(args, stdout, stderr, serve, stop.Token));
        try
        {
            // The QEMU arguments come once the vhost-user socket listens.
            Assert.True(await UnixHttp.WaitUntilAsync(() => stdout.ToString().Contains("-global", StringComparison.Ordinal) || run.IsCompleted, s_timeout),
                "serve did not start");
            Assert.False(run.IsCompleted, $"serve exited: {stderr}");
            return (UnixMode.Of(socket), UnixMode.OwnerOf(socket), stderr.ToString());
        }
        finally
        {
            await stop.CancelAsync();
            Assert.Equal(ExitCodes.Success, await run.WaitAsync(s_timeout));
            Assert.False(Path.Exists(socket));
        }
    }
}
