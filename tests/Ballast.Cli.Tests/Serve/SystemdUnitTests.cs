using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Ballast.Cli.Tests.Serve;

/// <summary>
/// packaging/systemd's <c>ballast-balloon@.service</c> and <c>.socket</c>, checked by systemd's own
/// <c>systemd-analyze verify</c> and <c>security</c> (no systemd PID 1 needed; installed by packaging/systemd/ensure-tools.sh).
/// </summary>
public partial class SystemdUnitTests
{
    private static string Packaging => Path.Combine(ServeConventionsTests.RepositoryRoot(), "packaging", "systemd");

    [Fact]
    public void Units_Verify_CleanWithExecStartOnTheBuiltProgram()
    {
        ServeProcessTests.EnsureSystemdTools();
        using var directory = new Ballast.TestKit.TempDirectory();
        // verify checks that ExecStart's program exists; /usr/bin/ballastd is installed by the .deb, so the copy
        // verified here runs the program these tests were built with instead. Everything else is as shipped.
        var built = Path.Combine(AppContext.BaseDirectory, "ballast");
        Assert.True(File.Exists(built), $"{built} not found");
        CopyUnits(directory.Path, text => text.Replace("/usr/bin/ballastd", built, StringComparison.Ordinal));

        var (exitCode, output) = Run("systemd-analyze", "verify", "--man=no",
            Path.Combine(directory.Path, "ballast-balloon@vm1.service"), Path.Combine(directory.Path, "ballast-balloon@vm1.socket"));

        Assert.True(exitCode == 0 && output.Length == 0, $"systemd-analyze verify: status {exitCode}\n{output}");
    }

    [Fact]
    public void Units_VerifyAsShipped_OnlyMissesTheInstalledBinary()
    {
        ServeProcessTests.EnsureSystemdTools();
        using var directory = new Ballast.TestKit.TempDirectory();
        CopyUnits(directory.Path, text => text);

        var (_, output) = Run("systemd-analyze", "verify", "--man=no",
            Path.Combine(directory.Path, "ballast-balloon@vm1.service"), Path.Combine(directory.Path, "ballast-balloon@vm1.socket"));

        var complaints = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(complaints, line => Assert.Contains("/usr/bin/ballastd", line, StringComparison.Ordinal));
    }

    [Fact]
    public void Units_Security_ExposureAtMost2()
    {
        ServeProcessTests.EnsureSystemdTools();
        using var directory = new Ballast.TestKit.TempDirectory();
        CopyUnits(directory.Path, text => text);

        var (exitCode, output) = Run("systemd-analyze", "security", "--offline=true", "--no-pager",
            Path.Combine(directory.Path, "ballast-balloon@vm1.service"));

        var match = ExposureLine().Match(output);
        Assert.True(exitCode == 0 && match.Success, $"systemd-analyze security: status {exitCode}\n{output}");
        var exposure = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(exposure <= 2.0, $"exposure {exposure} (0 = locked down, 10 = none):\n{output}");
    }

    [Fact]
    public void Units_SocketAndService_AgreeOnPathsReadinessAndStore()
    {
        var socket = File.ReadAllText(Path.Combine(Packaging, "ballast-balloon@.socket"));
        var service = File.ReadAllText(Path.Combine(Packaging, "ballast-balloon@.service"));

        Assert.Equal(["/run/ballast/%i.sock", "/run/ballast/%i.sock.api"], Values(socket, "ListenStream"));
        var execStart = Assert.Single(Values(service, "ExecStart"));
        Assert.StartsWith("/usr/bin/ballastd serve ", execStart, StringComparison.Ordinal);
        Assert.Contains("--socket-path /run/ballast/%i.sock ", execStart, StringComparison.Ordinal);
        Assert.Contains("--api /run/ballast/%i.sock.api ", execStart, StringComparison.Ordinal);
        Assert.Contains("--log-format systemd", execStart, StringComparison.Ordinal);
        Assert.Equal(["notify"], Values(service, "Type"));
        // all, not main: a --take-over for an upgrade announces itself as the new main process.
        Assert.Equal(["all"], Values(service, "NotifyAccess"));
        Assert.True(int.Parse(Assert.Single(Values(service, "FileDescriptorStoreMax")), CultureInfo.InvariantCulture) >= 32);
        Assert.Equal(["AF_UNIX"], Values(service, "RestrictAddressFamilies"));
    }

    private static void CopyUnits(string directory, Func<string, string> edit)
    {
        foreach (var name in (string[])["ballast-balloon@.service", "ballast-balloon@.socket"])
            File.WriteAllText(Path.Combine(directory, name), edit(File.ReadAllText(Path.Combine(Packaging, name))));
    }

    private static List<string> Values(string unit, string key) =>
        [.. unit.Split('\n').Where(l => l.StartsWith(key + "=", StringComparison.Ordinal)).Select(l => l[(key.Length + 1)..].Trim())];

    private static (int ExitCode, string Output) Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, (stderr + stdout.Result).Trim());
    }

    [GeneratedRegex(@"Overall exposure level for \S+: ([0-9.]+)")]
    private static partial Regex ExposureLine();
}
