using Ballast.Linux;
using Ballast.Balloon.Device;

namespace Ballast.VhostUser.Tests.Support;

/// <summary>
/// A <see cref="VhostUserServer"/> for a fresh balloon device on a socket in a temporary directory, running until
/// disposed. Disposing checks that RunAsync completed without an exception within a time-out.
/// </summary>
internal sealed class ServerHarness : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly DirectoryInfo _dir;
    private bool _stopped;

    public ServerHarness(BalloonDeviceOptions? options = null, int ioTimeoutMs = 2000, bool allowUnsealedMemory = false, SocketAccess? access = null)
    {
        _dir = Directory.CreateTempSubdirectory("ballast-vu-");
        SocketPath = Path.Combine(_dir.FullName, "b.sock");
        Device = new BalloonDevice(options ?? new BalloonDeviceOptions { ScatterGather = true, MustTellHost = true });
        Server = new VhostUserServer(SocketPath, Device, Logs)
        {
            IoTimeoutMs = ioTimeoutMs,
            HandoverGraceMs = 300,
            AllowUnsealedMemory = allowUnsealedMemory,
            Access = access ?? SocketAccess.OwnerOnly,
        };
        Server.ConnectionChanged += c => ConnectionEvents.Enqueue(c);
        Running = Server.RunAsync(_stop.Token);
    }

    public string SocketPath { get; }

    public BalloonDevice Device { get; }

    public VhostUserServer Server { get; }

    public TestLoggerFactory Logs { get; } = new();

    public Task Running { get; }

    public System.Collections.Concurrent.ConcurrentQueue<bool> ConnectionEvents { get; } = new();

    /// <summary>Waits until the server has no front-end (the previous session is cleaned up).</summary>
    public void WaitDisconnected() => Wait.Until(() => !Server.IsConnected, "the server still has a front-end");

    /// <summary>Stops the server and asserts RunAsync completed normally.</summary>
    public void StopAndAssertClean()
    {
        if (_stopped)
            return;
        _stopped = true;
        _stop.Cancel();
        Assert.True(Running.Wait(TimeSpan.FromSeconds(15)), "RunAsync did not return after cancellation");
        Assert.Equal(TaskStatus.RanToCompletion, Running.Status);
        Assert.False(File.Exists(SocketPath), "the socket file was left behind");
    }

    public void Dispose()
    {
        try
        {
            StopAndAssertClean();
        }
        finally
        {
            Server.Dispose();
            _stop.Dispose();
            _dir.Delete(recursive: true);
        }
    }
}
