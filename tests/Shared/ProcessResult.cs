namespace Ballast.Tests.Shared;

/// <summary>What a finished (or killed) command left: its exit code, standard output, standard error and time taken.</summary>
internal sealed record ProcessResult(string Command, int ExitCode, string Output, string Error, bool TimedOut, TimeSpan Elapsed)
{
    /// <summary>True when the command exited 0 in time.</summary>
    public bool Succeeded => ExitCode == 0 && !TimedOut;

    /// <summary>Everything about the run, for assertion messages.</summary>
    public string Describe() =>
        $"`{Command}` {(TimedOut ? "timed out" : $"exited {ExitCode}")} after {Elapsed.TotalSeconds:F1} s\n--- stdout\n{Output}\n--- stderr\n{Error}";

    /// <summary>The last non-empty line of standard output (the scripts print their result's path there).</summary>
    public string LastLine() =>
        Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "";
}
