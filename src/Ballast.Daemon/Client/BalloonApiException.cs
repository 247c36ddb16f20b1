namespace Ballast.Daemon.Client;

/// <summary>
/// A management API call that failed: the daemon answered with an error (<see cref="StatusCode"/> and its
/// message), or could not be reached (<see cref="StatusCode"/> null).
/// </summary>
public sealed class BalloonApiException : Exception
{
    /// <summary>An error with no HTTP status.</summary>
    public BalloonApiException()
    {
    }

    /// <summary>An error with no HTTP status.</summary>
    public BalloonApiException(string message)
        : base(message)
    {
    }

    /// <summary>An error with no HTTP status, caused by <paramref name="innerException"/>.</summary>
    public BalloonApiException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The daemon answered <paramref name="statusCode"/> with <paramref name="message"/>.</summary>
    public BalloonApiException(int statusCode, string message)
        : base(message) => StatusCode = statusCode;

    /// <summary>The HTTP status the daemon answered, or null if it was not reached.</summary>
    public int? StatusCode { get; }
}
