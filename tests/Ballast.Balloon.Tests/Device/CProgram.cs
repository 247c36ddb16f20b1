using System.Diagnostics;
using System.Globalization;

namespace Ballast.Balloon.Tests.Device;

/// <summary>Compiles and runs a small C program against the Linux uapi headers (the Tmds.LibC way of checking an ABI).</summary>
internal static class CProgram
{
    /// <summary>True if gcc is on PATH and linux/virtio_balloon.h is installed.</summary>
    public static bool Available { get; } =
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Any(d => File.Exists(Path.Combine(d, "gcc")))
        && File.Exists("/usr/include/linux/virtio_balloon.h");

    /// <summary>Compiles and runs <paramref name="source"/>; parses its output lines of "name value" (decimal).</summary>
    public static Dictionary<string, long> Run(string source)
    {
        var dir = Directory.CreateTempSubdirectory("ballast-balloon-abi-");
        try
        {
            var c = Path.Combine(dir.FullName, "abi.c");
            var exe = Path.Combine(dir.FullName, "abi");
            File.WriteAllText(c, source);
            Exec("gcc", ["-std=gnu11", "-Wall", "-Werror", "-o", exe, c]);
            var values = new Dictionary<string, long>();
            foreach (var line in Exec(exe, []).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var parts = line.Split(' ', 2);
                values[parts[0]] = long.Parse(parts[1], CultureInfo.InvariantCulture);
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
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{file} exited {p.ExitCode}: {stderr}");
        return stdout.Result;
    }
}
