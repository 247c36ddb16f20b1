using System.Diagnostics;
using System.Globalization;

namespace Ballast.TestKit;

/// <summary>
/// Compiles and runs a small C program against the system headers and parses what it prints — the Tmds.LibC way of
/// checking struct layouts and constants. Shared by the ABI tests of every test project.
/// </summary>
public static class CProgram
{
    private static readonly bool s_gcc = (Environment.GetEnvironmentVariable("PATH") ?? "")
        .Split(':', StringSplitOptions.RemoveEmptyEntries)
        .Any(d => File.Exists(Path.Combine(d, "gcc")));

    /// <summary>True if gcc is on PATH and <paramref name="header"/> (e.g. /usr/include/linux/virtio_ring.h) exists.</summary>
    public static bool Available(string header) => s_gcc && File.Exists(header);

    /// <summary>
    /// Compiles <paramref name="source"/> (gnu11, -Wall -Werror), runs it and parses its lines of "name value"
    /// (value decimal, or hex with a 0x prefix). Each step is bounded to a minute.
    /// </summary>
    public static Dictionary<string, ulong> Run(string source)
    {
        var dir = Directory.CreateTempSubdirectory("ballast-abi-");
        try
        {
            var c = Path.Combine(dir.FullName, "abi.c");
            var exe = Path.Combine(dir.FullName, "abi");
            File.WriteAllText(c, source);
            Exec("gcc", ["-std=gnu11", "-Wall", "-Werror", "-o", exe, c]);
            var values = new Dictionary<string, ulong>();
            foreach (var line in Exec(exe, []).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var parts = line.Split(' ', 2);
                values[parts[0]] = parts[1].StartsWith("0x", StringComparison.Ordinal)
                    ? Convert.ToUInt64(parts[1][2..], 16)
                    : ulong.Parse(parts[1], CultureInfo.InvariantCulture);
            }
            return values;
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static string Exec(string file, string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments)
            start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000))
        {
            p.Kill();
            throw new TimeoutException($"{file} did not finish within a minute");
        }
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{file} exited {p.ExitCode}: {stderr.Result}");
        return stdout.Result;
    }
}
