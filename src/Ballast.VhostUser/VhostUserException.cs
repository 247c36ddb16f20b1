namespace Ballast.VhostUser;

/// <summary>
/// A vhost-user conversation failed: the peer closed the connection, broke the protocol, did not answer in
/// time, or (with REPLY_ACK) answered a request with a non-zero status.
/// </summary>
public class VhostUserException : IOException
{
    public VhostUserException()
    {
    }

    public VhostUserException(string message)
        : base(message)
    {
    }

    public VhostUserException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
