namespace Ballast.Daemon;

/// <summary>Process exit codes of <c>ballast</c> (the daemon's among them: <c>serve</c> returns them).</summary>
public static class ExitCodes
{
    /// <summary>The command did what was asked.</summary>
    public const int Success = 0;

    /// <summary>The command ran and failed (the engine threw, the plot could not be written, the daemon refused or was unreachable).</summary>
    public const int Failure = 1;

    /// <summary>The command line was wrong (unknown option, bad size, invalid combination); nothing ran.</summary>
    public const int Usage = 2;

    /// <summary>A wait gave up: <c>ballast balloon set --wait</c> saw no guest reach the target in time.</summary>
    public const int TimedOut = 3;

    /// <summary>Cancelled with Ctrl+C (128 + SIGINT, as shells report it).</summary>
    public const int Cancelled = 130;
}
