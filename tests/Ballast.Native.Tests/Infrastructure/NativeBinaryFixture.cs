using System.Diagnostics;

namespace Ballast.Native.Tests.Infrastructure;

/// <summary>
/// Runs <c>packaging/build-native.sh</c> once for the whole collection, as CI does on a fresh clone: it installs clang,
/// lld and zlib1g-dev when missing and publishes <c>ballastd</c> with NativeAOT (or finds it current), and prints the
/// binary's path.
/// </summary>
public sealed class NativeBinaryFixture
{
    private static readonly TimeSpan s_buildTimeout = TimeSpan.FromMinutes(20);

    /// <summary>Builds (or finds current) the native binary.</summary>
    public NativeBinaryFixture()
    {
        RepositoryRoot = FindRepositoryRoot();
        Script = Path.Combine(RepositoryRoot, "packaging", "build-native.sh");
        var (exitCode, stdout, stderr) = RunScript();
        if (exitCode != 0)
            throw new InvalidOperationException($"build-native.sh exited {exitCode}:\n{stderr}");
        BinaryPath = stdout.Trim();
        BuildLog = stderr;
    }

    /// <summary>The repository's root (where Ballast.slnx is).</summary>
    public string RepositoryRoot { get; }

    /// <summary>packaging/build-native.sh.</summary>
    public string Script { get; }

    /// <summary>artifacts/native/ballastd, as the script printed it.</summary>
    public string BinaryPath { get; }

    /// <summary>What the first run of the script wrote on standard error.</summary>
    public string BuildLog { get; }

    /// <summary>Runs the script with <paramref name="arguments"/>; returns its exit code and output.</summary>
    public (int ExitCode, string Stdout, string Stderr) RunScript(params string[] arguments)
    {
        var start = new ProcessStartInfo(Script)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {Script}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(s_buildTimeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"build-native.sh took longer than {s_buildTimeout}");
        }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Ballast.slnx")))
                return dir.FullName;
        }
        throw new InvalidOperationException($"no Ballast.slnx above {AppContext.BaseDirectory}");
    }
}
