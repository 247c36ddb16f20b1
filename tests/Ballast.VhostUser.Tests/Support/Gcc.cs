using System.Diagnostics;
using System.Globalization;

namespace Ballast.VhostUser.Tests.Support;

/// <summary>Compiles and runs a small C program that prints "name value" lines (the Tmds.LibC way of checking an ABI).</summary>
internal static class Gcc
{
    /// <summary>True if gcc is on PATH and the Linux uapi headers are installed.</summary>
    public static bool Available { get; } =
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Any(d => File.Exists(Path.Combine(d, "gcc")))
        && File.Exists("/usr/include/linux/vhost_types.h");

    public static Dictionary<string, ulong> Run(string source)
    {
        var dir = Directory.CreateTempSubdirectory("ballast-vu-abi-");
        try
        {
            var c = Path.Combine(dir.FullName, "abi.c");
            var exe = Path.Combine(dir.FullName, "abi");
            File.WriteAllText(c, source);
            Exec("gcc", $"-std=gnu11 -Wall -Werror -o \"{exe}\" \"{c}\"");
            var values = new Dictionary<string, ulong>();
            foreach (var line in Exec(exe, "").Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var parts = line.Split(' ', 2);
                values[parts[0]] = ulong.Parse(parts[1], CultureInfo.InvariantCulture);
            }
            return values;
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static string Exec(string file, string arguments)
    {
        using var p = Process.Start(new ProcessStartInfo(file, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        if (!p.WaitForExit(60_000))
        {
            p.Kill();
            throw new TimeoutException($"{file} did not finish");
        }
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{file} {arguments} exited {p.ExitCode}: {stderr}");
        return stdout.Result;
    }
}
