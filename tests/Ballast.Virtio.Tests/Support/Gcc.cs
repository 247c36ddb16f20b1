using System.Diagnostics;

namespace Ballast.Virtio.Tests.Support;

/// <summary>Compiles and runs a small C program (the Tmds.LibC way of checking struct layouts and constants).</summary>
internal static class Gcc
{
    /// <summary>True if gcc is on PATH and the Linux uapi headers are installed.</summary>
    public static bool Available { get; } = FindOnPath("gcc") && File.Exists("/usr/include/linux/virtio_ring.h");

    /// <summary>Compiles <paramref name="source"/>, runs it and parses lines of "name value" (value decimal or 0x hex).</summary>
    public static Dictionary<string, ulong> Run(string source)
    {
        var dir = Directory.CreateTempSubdirectory("ballast-abi-");
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
                values[parts[0]] = parts[1].StartsWith("0x", StringComparison.Ordinal)
                    ? Convert.ToUInt64(parts[1][2..], 16)
                    : ulong.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
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
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{file} {arguments} exited {p.ExitCode}: {stderr}");
        return stdout.Result;
    }

    private static bool FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(d => File.Exists(Path.Combine(d, name)));
}
