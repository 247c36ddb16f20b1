
namespace Ballast.GuestLab.Tests;

/// <summary><see cref="ChildProcess"/>: output captured, stopped by its own pid (SIGTERM, then SIGKILL), idempotent dispose.</summary>
public sealed class ChildProcessTests
{
    [Fact]
    public async Task Output_IsCaptured_LineByLine()
    {
        await using var child = ChildProcess.Start("sh", ["-c", "echo one; echo two >&2; echo three"], "sh");

        Assert.True(await child.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, child.ExitCode);
        Assert.Equal(["one", "three"], child.StandardOutputLines());
        Assert.Contains("two", child.Tail(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stop_SendsSigterm_AndReportsTheSignal()
    {
        await using var child = ChildProcess.Start("sleep", ["60"], "sleep");

        var status = await child.StopAsync(TimeSpan.FromSeconds(10));

        Assert.True(child.HasExited);
        Assert.Equal(128 + 15, status);
        Assert.False(child.Signal(15), "an exited child must not be signalled again");
    }

    [Fact]
    public async Task Stop_EscalatesToSigkill_WhenSigtermIsIgnored()
    {
        await using var child = ChildProcess.Start("sh", ["-c", "trap '' TERM; echo ready; while :; do sleep 1; done"], "sh");
        await GuestWait.UntilAsync(_ => Task.FromResult(child.StandardOutputLines().Count > 0), TimeSpan.FromSeconds(30),
            TimeSpan.FromMilliseconds(20), () => "the shell to install its trap");

        var status = await child.StopAsync(TimeSpan.FromMilliseconds(300));

        Assert.Equal(128 + 9, status);
    }

    [Fact]
    public async Task Dispose_Twice_IsHarmless()
    {
        var child = ChildProcess.Start("sleep", ["60"], "sleep");

        await child.DisposeAsync();
        await child.DisposeAsync();

        Assert.True(child.HasExited);
        Assert.Equal(128 + 15, child.ExitCode);
    }
}
