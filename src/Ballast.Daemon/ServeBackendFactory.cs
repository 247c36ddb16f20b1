using Ballast.Balloon.Device;
using Microsoft.Extensions.Logging;

namespace Ballast.Daemon;

/// <summary>
/// Builds the transport that serves <paramref name="device"/> on the vhost-user socket <paramref name="socketPath"/>,
/// as <paramref name="options"/> ask: the peers it allows (<see cref="ServeOptions.ToSocketAccess"/>), whether it maps
/// unsealed guest RAM (<see cref="ServeOptions.AllowUnsealedMemory"/>).
/// </summary>
public delegate IServeBackend ServeBackendFactory(string socketPath, BalloonDevice device, ILoggerFactory loggerFactory, ServeOptions options);
