using Microsoft.Extensions.Logging;

namespace Ballast.Cli.Serve;

/// <summary>The transports <c>ballast serve</c> can run.</summary>
public static class ServeBackends
{
    /// <summary>
    /// The transport <c>ballast serve</c> uses.
    /// WIRING POINT (vhost-user): Ballast.VhostUser's <c>VhostUserServer</c> is not in this build yet; once it
    /// is, return an adapter over it here (a <see cref="IServeBackend"/> forwarding <c>IsConnected</c>,
    /// <c>GuestRamBytes</c> and <c>RunAsync</c>) and add the project reference to Ballast.Cli.csproj.
    /// </summary>
    public static ServeBackendFactory Default { get; } = (socketPath, device, loggerFactory) =>
        new NoGuestBackend(socketPath, loggerFactory.CreateLogger<NoGuestBackend>());
}
