using Ballast.Daemon.Supervision;
using Ballast.Linux;
using Ballast.VhostUser.Session;

namespace Ballast.Daemon;

/// <summary>
/// The sockets <c>ballast serve</c> was started with instead of binding them: <c>--fd FDNUM</c> (QEMU's backend program
/// conventions) and a systemd socket unit's listeners (<c>LISTEN_FDS</c>), told apart by the path each is bound to
/// (getsockname(2)): the one on <c>--socket-path</c> is the vhost-user socket, the one on <c>--api</c> the management
/// API. What a supervisor put in systemd's file-descriptor store before it was restarted comes back the same way and
/// is passed on by name.
/// </summary>
public static class ServeListeners
{
    /// <summary>Set for a worker when the vhost-user socket was inherited: the socket's path (the worker has no <c>--fd</c>).</summary>
    internal const string InheritedSocketVariable = "BALLAST_INHERITED_SOCKET";

    /// <summary>Set to 1 for a worker when the API socket came from a systemd socket unit.</summary>
    internal const string InheritedApiVariable = "BALLAST_INHERITED_API";

    /// <summary>
    /// Takes the inherited descriptors of this process: <paramref name="options"/>' <c>--fd</c> and systemd's
    /// <c>LISTEN_FDS</c> (removed from the environment). Returns them by name (<see cref="SessionNames.Listener"/>,
    /// <see cref="ManagementApi.ApiKeptName"/>, and the file-descriptor store's own names) with <paramref name="options"/>
    /// completed: the socket's path read from <c>--fd</c>, and which sockets are not the daemon's to remove.
    /// </summary>
    /// <exception cref="InvalidOperationException">
    /// A descriptor cannot be used (not open, not a listening Unix stream socket, bound elsewhere); the message is one
    /// sentence for the user.
    /// </exception>
    public static (ResumeSet Inherited, ServeOptions Options) Take(ServeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var set = new ResumeSet();
        try
        {
            if (options.ListenFd is { } given)
            {
                var path = InheritedSocket.ListeningPath(given, out var error) ?? throw new InvalidOperationException($"--fd: {error}");
                options = options.WithInheritedSocket(path);
                set.Add(SessionNames.Listener, given);
            }
            var systemd = SystemdListenFds.Take();
            if (systemd.Count == 0)
                return (set, options);
            var socketPath = Path.GetFullPath(options.SocketPath);
            var apiPath = Path.GetFullPath(options.ApiPath);
            foreach (var (name, fd) in systemd)
            {
                var path = InheritedSocket.ListeningPath(fd, out _);
                var full = string.IsNullOrEmpty(path) ? null : Path.GetFullPath(path);
                if (name is SessionNames.Listener or ManagementApi.ApiKeptName && full is not null)
                    set.Add(name, fd); // the store's copy of a socket a worker bound: the daemon's own
                else if (full == socketPath)
                {
                    set.Add(SessionNames.Listener, fd);
                    options = options with { SocketInherited = true };
                }
                else if (full == apiPath)
                {
                    set.Add(ManagementApi.ApiKeptName, fd);
                    options = options with { ApiInherited = true };
                }
                else if (full is null && KeeperProtocol.IsValidName(name))
                    set.Add(name, fd); // the store's connection, memory, eventfds, records
                else
                {
                    throw new InvalidOperationException(full is null
                        ? $"the service manager passed descriptor {fd} ('{name}'), which is not a listening Unix socket"
                        : $"the service manager passed a socket listening on {full}, which is neither --socket-path ({socketPath}) nor --api ({apiPath})");
                }
            }
            return (set, options);
        }
        catch
        {
            set.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Tells the workers a supervisor starts which sockets were inherited (<see cref="FromSupervisor"/> reads it): they
    /// get the sockets themselves from the supervisor, but not <c>--fd</c>'s path or whose files they are.
    /// </summary>
    internal static void PassToWorkers(ServeOptions options)
    {
        Environment.SetEnvironmentVariable(InheritedSocketVariable, options.SocketInherited ? Path.GetFullPath(options.SocketPath) : null);
        Environment.SetEnvironmentVariable(InheritedApiVariable, options.ApiInherited ? "1" : null);
    }

    /// <summary>A worker's options completed with what its supervisor inherited (<see cref="PassToWorkers"/>).</summary>
    internal static ServeOptions FromSupervisor(ServeOptions options)
    {
        var socket = Environment.GetEnvironmentVariable(InheritedSocketVariable);
        var api = Environment.GetEnvironmentVariable(InheritedApiVariable) == "1";
        if (!string.IsNullOrEmpty(socket))
            options = options.WithInheritedSocket(socket);
        // The worker's listener comes from the supervisor: the descriptor named by --fd is the supervisor's, not this process's.
        return options with { ListenFd = null, ApiInherited = api };
    }
}
