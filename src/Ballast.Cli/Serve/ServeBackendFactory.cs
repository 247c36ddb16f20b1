using Ballast.Balloon.Device;
using Ballast.VhostUser;
using Microsoft.Extensions.Logging;

namespace Ballast.Cli.Serve;

/// <summary>
/// Builds the transport that serves <paramref name="device"/> on the vhost-user socket <paramref name="socketPath"/>,
/// to the peers <paramref name="access"/> allows.
/// </summary>
public delegate IServeBackend ServeBackendFactory(string socketPath, SocketAccess access, BalloonDevice device, ILoggerFactory loggerFactory);
