using Ballast.GuestLab;

namespace Ballast.Guest.Tests;

/// <summary>
/// The guest scripts' shell helpers (<c>guest/lib.sh</c>) under Debian's bats (<c>guest/tests/*.bats</c>, with
/// dpkg-query and apt-get stand-ins on PATH), and what a failing guest script looks like from C#: its exception
/// carries the script's last lines, including the line lib.sh's ERR trap writes for a command that failed silently.
/// </summary>
public sealed class ShellHelperTests
{
    private static readonly TimeSpan s_batsTimeout = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task Bats_EveryShellHelperTestPasses()
    {
        var script = Path.Combine(GuestEnvironment.FindGuestDirectory(), "tests", "run.sh");
        await using var bats = ChildProcess.Start(script, [], "guest/tests/run.sh");
        var exited = await bats.WaitForExitAsync(s_batsTimeout);
        var tap = bats.StandardOutputLines();
        var report = $"{string.Join('\n', tap)}\n--- stderr ---\n{bats.Tail(40)}";
        Assert.True(exited, $"bats did not finish within {s_batsTimeout.TotalMinutes} minutes:\n{report}");

        // TAP: "1..N", then "ok i name" or "not ok i name" for each test.
        var plan = tap.FirstOrDefault(line => line.StartsWith("1..", StringComparison.Ordinal));
        Assert.True(plan is not null && int.Parse(plan[3..], System.Globalization.CultureInfo.InvariantCulture) > 0, $"no test plan:\n{report}");
        var planned = int.Parse(plan![3..], System.Globalization.CultureInfo.InvariantCulture);
        var failed = tap.Where(line => line.StartsWith("not ok", StringComparison.Ordinal)).ToList();
        var passed = tap.Count(line => line.StartsWith("ok ", StringComparison.Ordinal));
        Assert.True(failed.Count == 0, $"{failed.Count} of {planned} shell-helper tests failed:\n{report}");
        Assert.Equal(planned, passed);
        Assert.Equal(0, bats.ExitCode);
    }

    [Fact]
    public async Task EnsureAsync_ScriptFailingSilently_ExceptionNamesTheFailingCommand()
    {
        // A stand-in guest/ with the real lib.sh and an ensure.sh that dies the way need_packages used to: a command
        // substitution failing under set -e, which prints nothing by itself.
        var dir = Directory.CreateTempSubdirectory("ballast-ensure-test.");
        try
        {
            File.Copy(Path.Combine(GuestEnvironment.FindGuestDirectory(), "lib.sh"), Path.Combine(dir.FullName, "lib.sh"));
            var ensure = Path.Combine(dir.FullName, "ensure.sh");
            File.WriteAllText(ensure, """
                #!/bin/bash
                set -euo pipefail
                source "$(dirname "$0")/lib.sh"
                log "checking packages"
                installed=$(dpkg-query -W no-such-package-ballast-test 2>/dev/null)
                echo "KERNEL=$installed"
                """);
            if (!OperatingSystem.IsWindows())
                File.SetUnixFileMode(ensure, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

            var e = await Assert.ThrowsAsync<InvalidOperationException>(() =>
                GuestEnvironment.EnsureAsync(dir.FullName, TimeSpan.FromMinutes(1)));

            Assert.Contains("failed with exit status 1", e.Message, StringComparison.Ordinal);
            Assert.Contains("checking packages", e.Message, StringComparison.Ordinal);
            // Bash prints the command as it parsed it ("2> /dev/null").
            Assert.Contains("ERROR: `installed=$(dpkg-query -W no-such-package-ballast-test 2> /dev/null)` exited 1 (ensure.sh:5)",
                e.Message, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
