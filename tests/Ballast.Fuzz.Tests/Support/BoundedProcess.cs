using System.Diagnostics;
using System.Text;

namespace Ballast.Fuzz.Tests.Support;

/// <summary>Runs a command with a time limit; on time-out kills it and everything it started (by its process id).</summary>
internal static class BoundedProcess
{
    public sealed record Result(int ExitCode, string Output, bool TimedOut, TimeSpan Elapsed);

    public static Result Run(string file, IEnumerable<string> arguments, TimeSpan limit, string workingDirectory)
    {
        var info = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments)
            info.ArgumentList.Add(a);
        var output = new StringBuilder();
        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        var clock = Stopwatch.StartNew();
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var exited = process.WaitForExit(limit);
        if (!exited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(TimeSpan.FromSeconds(30));
        }
        else
        {
            process.WaitForExit(); // drains the output readers
        }
        lock (output)
            return new Result(exited ? process.ExitCode : -1, output.ToString(), !exited, clock.Elapsed);
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
            return;
        lock (output)
            output.AppendLine(line);
    }
}
