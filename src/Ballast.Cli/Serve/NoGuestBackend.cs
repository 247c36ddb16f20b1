using Microsoft.Extensions.Logging;

namespace Ballast.Cli.Serve;

/// <summary>
/// A transport with no guest, ever: what <c>ballast serve</c> runs while this build has no vhost-user server
/// (see <see cref="ServeBackends.Default"/>). The management API works; setting a target answers 409.
/// </summary>
public sealed class NoGuestBackend : IServeBackend
{
    private readonly ILogger _logger;
    private readonly string _socketPath;

    /// <summary>A backend that would have served <paramref name="socketPath"/>.</summary>
    public NoGuestBackend(string socketPath, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(socketPath);
        ArgumentNullException.ThrowIfNull(logger);
        _socketPath = socketPath;
        _logger = logger;
    }

    /// <inheritdoc/>
    public bool IsConnected => false;

    /// <inheritdoc/>
    public ulong GuestRamBytes => 0;

    /// <inheritdoc/>
    public async Task RunAsync(CancellationToken ct)
    {
        _logger.LogWarning("this build has no vhost-user server: nothing listens on {Socket} and no guest can connect; the management API runs without a guest",
            _socketPath);
        try
        {
            await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }
}
