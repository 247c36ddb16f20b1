using Ballast.Linux;
using Ballast.VhostUser.Session;

namespace Ballast.Daemon.Supervision;

/// <summary>
/// The worker's side of the supervisor's descriptor store: <see cref="Keep"/> sends a copy of the descriptor to the
/// supervisor (<c>keep NAME</c>); once sendmsg returns, the copy is the kernel's to deliver, whatever happens to this
/// process next.
/// </summary>
internal sealed class SupervisorStore(ControlSocket control) : IDescriptorStore
{
    private readonly Lock _lock = new();

    public void Keep(string name, int fd)
    {
        lock (_lock)
            control.Send($"{KeeperProtocol.Keep} {name}", [fd]);
    }

    public void Drop(string name)
    {
        lock (_lock)
            control.Send($"{KeeperProtocol.Drop} {name}");
    }

    /// <summary>Tells the supervisor the worker serves.</summary>
    public void Serving() => Send($"{KeeperProtocol.Serving} {Environment.ProcessId}");

    /// <summary>Sends a message without descriptors.</summary>
    public void Send(string text)
    {
        lock (_lock)
            control.Send(text);
    }
}
