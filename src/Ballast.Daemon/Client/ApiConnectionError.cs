using System.Net.Sockets;

namespace Ballast.Daemon.Client;

/// <summary>
/// What went wrong when a request to the management API got no HTTP answer, in one sentence naming the socket:
/// no file there, a file that is not a socket, nothing listening, permission denied, or something that is not the
/// API (it closed the connection, or answered with bytes that are not HTTP).
/// </summary>
internal static class ApiConnectionError
{
    /// <summary>The sentence for <paramref name="ex"/>, raised by a request to the API on <paramref name="socketPath"/>.</summary>
    public static string Describe(string socketPath, HttpRequestException ex)
    {
        ArgumentNullException.ThrowIfNull(socketPath);
        ArgumentNullException.ThrowIfNull(ex);
        if (FindSocketError(ex) is { } socketError)
        {
            // Reset or broken pipe while the request was being sent: the peer accepted and closed at once.
            return socketError.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown
                ? ClosedWithoutAnswer(socketPath)
                : DescribeConnect(socketPath, socketError);
        }
        return ex.HttpRequestError switch
        {
            HttpRequestError.ResponseEnded => ClosedWithoutAnswer(socketPath),
            HttpRequestError.InvalidResponse =>
                $"{socketPath} is not a Ballast API: it answered with something that is not HTTP/1.1",
            _ => $"cannot talk to ballast serve at {socketPath}: {ex.Message}",
        };
    }

    /// <summary>The sentence for a connect(2) to <paramref name="socketPath"/> that failed with <paramref name="error"/>.</summary>
    public static string DescribeConnect(string socketPath, SocketException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return error.SocketErrorCode switch
        {
            // ENOENT comes back as EADDRNOTAVAIL's "Cannot assign requested address": look at the path instead.
            SocketError.AddressNotAvailable or SocketError.ConnectionRefused when !Exists(socketPath) =>
                $"no Ballast API at {socketPath}: no such socket (is 'ballast serve' running? its --api is <socket>.api by default)",
            SocketError.AddressNotAvailable or SocketError.ConnectionRefused when !IsSocket(socketPath) =>
                $"no Ballast API at {socketPath}: it is not a socket",
            SocketError.ConnectionRefused =>
                $"no Ballast API at {socketPath}: nothing listens on that socket (left behind by a daemon that is gone?)",
            SocketError.AccessDenied =>
                $"permission denied on {socketPath}: the API is only for the user running 'ballast serve' and root",
            _ => $"cannot reach ballast serve at {socketPath}: {error.Message}",
        };
    }

    private static string ClosedWithoutAnswer(string socketPath) =>
        $"no answer from {socketPath}: the connection was closed without one. Not a Ballast API, or one that refuses this user "
        + "('ballast serve' serves only its own user and root)";

    private static SocketException? FindSocketError(Exception ex)
    {
        for (var inner = ex.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException socket)
                return socket;
        }
        return null;
    }

    private static bool Exists(string path) => File.Exists(path) || Directory.Exists(path);

    private static bool IsSocket(string path) => Ballast.Linux.UnixSocketFile.IsSocket(path);
}
