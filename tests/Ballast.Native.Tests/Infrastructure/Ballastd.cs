using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Ballast.TestKit;

namespace Ballast.Native.Tests.Infrastructure;

/// <summary>A running <c>ballastd</c> process with its output captured; killed (with its worker) on dispose.</summary>
internal sealed partial class Ballastd : IDisposable
{
    private readonly LockedStringWriter _stdout = new();
    private readonly LockedStringWriter _stderr = new();

    private Ballastd(Process process) => Process = process;

    /// <summary>The process.</summary>
    public Process Process { get; }

    /// <summary>Its output so far, for assertion messages.</summary>
    public string Log => $"stderr:\n{_stderr}\nstdout:\n{_stdout}";

    /// <summary>Standard output so far.</summary>
    public string Stdout => _stdout.ToString();

    /// <summary>How many times the log said a worker serves (once per worker started).</summary>
    public int ServesLogged => _stderr.ToString().Split('\n').Count(l => l.Contains("supervisor: worker", StringComparison.Ordinal)
        && l.Contains(" serves (", StringComparison.Ordinal));

    /// <summary>
    /// Starts <paramref name="binary"/> with <paramref name="arguments"/> through env(1) with SIGINT and SIGTERM at their
    /// default (a test run in the background of a shell without job control inherits them ignored).
    /// </summary>
    public static Ballastd Start(string binary, params string[] arguments)
    {
        var start = new ProcessStartInfo("env")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("--default-signal=INT,TERM");
        start.ArgumentList.Add(binary);
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        var process = new Process { StartInfo = start };
        var daemon = new Ballastd(process);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
                daemon._stdout.WriteLine(e.Data);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
                daemon._stderr.WriteLine(e.Data);
        };
        Assert.True(process.Start());
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return daemon;
    }

    /// <summary>Runs <paramref name="binary"/> to its end; returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string binary, TimeSpan timeout, params string[] arguments)
    {
        using var daemon = Start(binary, arguments);
        using var cts = new CancellationTokenSource(timeout);
        await daemon.Process.WaitForExitAsync(cts.Token);
        // The asynchronous readers may still hold the last lines: WaitForExit() without a timeout waits for them.
        daemon.Process.WaitForExit();
        return (daemon.Process.ExitCode, daemon._stdout.ToString(), daemon._stderr.ToString());
    }

    /// <summary>The supervisor's live worker (its child); null between two workers.</summary>
    public int? Worker()
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
                continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (fields[0] != "Z" && int.Parse(fields[1], CultureInfo.InvariantCulture) == Process.Id)
                    return pid;
            }
            catch (IOException)
            {
                // The process ended while its directory was read.
            }
        }
        return null;
    }

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/> (kill(2)).</summary>
    public static int Signal(int pid, int signal) => kill(pid, signal);

    /// <inheritdoc/>
    public void Dispose()
    {
        if (!Process.HasExited)
            Process.Kill(entireProcessTree: true);
        Process.Dispose();
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);
}
