namespace Ballast.Simulation.Experiment;

/// <summary>
/// The host cannot give the bench what it asked for — no free 2 MiB huge pages, transparent huge pages off for shared
/// memory — and the bench could not (not root) or may not (not enough memory) change that itself. The message is one
/// line for the user and names the setting to change; <c>ballast bench</c> prints it without a stack trace.
/// </summary>
public sealed class BenchHostException : Exception
{
    /// <summary>An exception with no message.</summary>
    public BenchHostException()
    {
    }

    /// <summary>An exception saying <paramref name="message"/>.</summary>
    public BenchHostException(string message)
        : base(message)
    {
    }

    /// <summary>An exception saying <paramref name="message"/>, caused by <paramref name="inner"/>.</summary>
    public BenchHostException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
