namespace Ballast.Daemon.Supervision;

/// <summary>
/// The messages between the supervisor and its worker on their <see cref="Ballast.Linux.ControlSocket"/>, one line of
/// text each: a verb, and for most a name (<see cref="Ballast.VhostUser.Session.SessionNames"/>, or <c>api</c>,
/// <c>balloon</c>).
/// <list type="bullet">
/// <item><c>keep NAME</c> + one descriptor (worker → supervisor): keep a copy, replacing the one kept under NAME.</item>
/// <item><c>drop NAME</c> (worker → supervisor): close the copy kept under NAME.</item>
/// <item><c>waiting</c> (worker → supervisor): the worker started and waits for what was kept.</item>
/// <item><c>serving PID</c> (worker → supervisor): the worker listens and serves.</item>
/// <item><c>kept NAME</c> + one descriptor (supervisor → new worker): what was kept, one message each, then <c>end</c>;
/// after a handover <c>paused-at MS</c> (Unix time in milliseconds) comes before <c>end</c>: when the old worker was
/// asked to stop.</item>
/// <item><c>hand-over</c> (supervisor → worker): stop at a clean point for a new version, leave everything kept,
/// answer <c>handed-over MS</c> and exit 0.</item>
/// <item><c>take-over</c> (new supervisor → running supervisor, on its take-over socket): hand over; the answer is
/// every kept descriptor (<c>kept NAME</c>), <c>paused-at MS</c> and <c>end</c>.</item>
/// </list>
/// The same verbs map onto systemd's file-descriptor store (<c>FDSTORE=1</c> + <c>FDNAME=</c>, <c>FDSTOREREMOVE=1</c>,
/// <c>LISTEN_FDNAMES</c>).
/// </summary>
internal static class KeeperProtocol
{
    public const string Keep = "keep";
    public const string Drop = "drop";
    public const string Serving = "serving";
    public const string Kept = "kept";
    public const string End = "end";
    public const string Waiting = "waiting";
    public const string HandOver = "hand-over";
    public const string HandedOver = "handed-over";
    public const string PausedAt = "paused-at";
    public const string TakeOver = "take-over";

    /// <summary>The environment variable that gives a worker its control socket's descriptor number.</summary>
    public const string ControlFdVariable = "BALLAST_SUPERVISOR_FD";

    /// <summary>Set to 1 for a worker started ahead of a take-over: it compiles the resume path before it says it waits.</summary>
    public const string WarmUpVariable = "BALLAST_WORKER_WARMUP";

    /// <summary>The environment variable that gives a worker its supervisor's process id (checked against getppid).</summary>
    public const string SupervisorPidVariable = "BALLAST_SUPERVISOR_PID";

    /// <summary>Splits "verb name" into its parts; name is empty for a bare verb.</summary>
    public static (string Verb, string Name) Parse(string text)
    {
        var space = text.IndexOf(' ', StringComparison.Ordinal);
        return space < 0 ? (text, "") : (text[..space], text[(space + 1)..]);
    }

    /// <summary>True for a name a worker may use: 1–64 of [a-z0-9.-].</summary>
    public static bool IsValidName(string name) =>
        name.Length is > 0 and <= 64 && name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '.');
}
