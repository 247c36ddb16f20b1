using System.Diagnostics;
using System.Text;

namespace Ballast.Tests.Shared;

/// <summary>
/// Runs a command to its end, or kills it and everything it started (by its process id) after a time limit. One source
/// file compiled into the test projects that need it (Packaging, Fuzz): linked from tests/Shared.
/// </summary>
internal static class BoundedProcess
{
    /// <param name="file">The program.</param>
    /// <param name="arguments">Its arguments.</param>
    /// <param name="limit">How long it may run.</param>
    /// <param name="workingDirectory">Where it runs; null for this process's current directory.</param>
    /// <param name="environment">Variables added to this process's environment.</param>
    public static ProcessResult Run(string file, IEnumerable<string> arguments, TimeSpan limit, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory ?? "",
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments)
            info.ArgumentList.Add(a);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            info.Environment[name] = value;
        var output = new StringBuilder();
        var error = new StringBuilder();
        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(error, e.Data);
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
        var command = string.Join(' ', info.ArgumentList.Prepend(file));
        lock (output)
        lock (error)
            return new ProcessResult(command, exited ? process.ExitCode : -1, output.ToString(), error.ToString(), !exited, clock.Elapsed);
    }

    private static void Append(StringBuilder text, string? line)
    {
        if (line is null)
            return;
        lock (text)
            text.AppendLine(line);
    }
}
