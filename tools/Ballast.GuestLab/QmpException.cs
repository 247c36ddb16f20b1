namespace Ballast.GuestLab;

/// <summary>QEMU answered a QMP command with an error, or the QMP connection failed.</summary>
public sealed class QmpException : Exception
{
    /// <summary>An exception with no message.</summary>
    public QmpException()
    {
    }

    /// <summary>An exception with <paramref name="message"/>.</summary>
    public QmpException(string message)
        : base(message)
    {
    }

    /// <summary>An exception with <paramref name="message"/> caused by <paramref name="inner"/>.</summary>
    public QmpException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
