
namespace Ballast.GuestLab.Tests;

/// <summary><see cref="SerialLog"/> follows a growing file: whole lines only, \r\n stripped, facts in order.</summary>
public sealed class SerialLogTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"ballast-serial-{Guid.NewGuid():N}.log");

    [Fact]
    public void Refresh_BeforeTheFileExists_SeesNothing()
    {
        using var log = new SerialLog(_path);

        Assert.Equal(0, log.Refresh());
        Assert.Empty(log.Events());
    }

    [Fact]
    public void Refresh_HoldsBackAnUnterminatedLine_UntilItIsComplete()
    {
        using var log = new SerialLog(_path);
        File.WriteAllText(_path, "[ 0.1] boot\r\nBALLAST init t=800 format=1\r\nBALLAST rea");

        Assert.Equal(1, log.Refresh());
        Assert.Equal("init", log.Events()[0].Name);

        File.AppendAllText(_path, "dy t=930\r\n");
        Assert.Equal(1, log.Refresh());
        Assert.Equal(["init", "ready"], log.Events().Select(e => e.Name));
        Assert.Equal(930, log.Last("ready")?.TimeMs);
        Assert.EndsWith("BALLAST ready t=930", log.Tail(1), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WaitForAsync_SeesAFactWrittenLater_AfterTheCursor()
    {
        using var log = new SerialLog(_path);
        File.WriteAllText(_path, "BALLAST meminfo t=1 MemFree=10\n");
        var cursor = log.Count;

        var wait = log.WaitForAsync("meminfo", TimeSpan.FromSeconds(10), after: cursor);
        await Task.Delay(100);
        File.AppendAllText(_path, "BALLAST meminfo t=2 MemFree=20\n");

        Assert.Equal(20, (await wait).Int64("MemFree"));
    }

    [Fact]
    public async Task WaitForAsync_TimesOut_WithTheLogTail()
    {
        using var log = new SerialLog(_path);
        File.WriteAllText(_path, "something else\n");

        var e = await Assert.ThrowsAsync<TimeoutException>(() => log.WaitForAsync("ready", TimeSpan.FromMilliseconds(100)));
        Assert.Contains("something else", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WaitForAsync_Abort_EndsTheWaitWithItsReason()
    {
        using var log = new SerialLog(_path);

        var e = await Assert.ThrowsAsync<TimeoutException>(() => log.WaitForAsync("ready", TimeSpan.FromMinutes(1), abort: () => "QEMU exited"));
        Assert.Contains("QEMU exited", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WaitForAnyAsync_ReturnsTheFirstFactOfAnyName_AfterTheCursor()
    {
        using var log = new SerialLog(_path);
        File.WriteAllText(_path, "BALLAST control t=1 cmd=report\n");
        var cursor = log.Count;
        var wait = log.WaitForAnyAsync(["control", "control unknown"], TimeSpan.FromSeconds(10), after: cursor);

        File.AppendAllText(_path, "BALLAST meminfo t=2 MemFree=20\nBALLAST control unknown t=3\nBALLAST control t=4 cmd=end\n");

        var e = await wait;
        Assert.Equal("control unknown", e.Name);
        Assert.Equal(3, e.TimeMs);
    }

    [Fact]
    public async Task WaitForAnyAsync_TimesOut_NamingEveryName()
    {
        using var log = new SerialLog(_path);
        File.WriteAllText(_path, "BALLAST ready t=1\n");

        var e = await Assert.ThrowsAsync<TimeoutException>(() => log.WaitForAnyAsync(["control", "control unknown"], TimeSpan.FromMilliseconds(100)));

        Assert.StartsWith("no BALLAST control or control unknown within", e.Message, StringComparison.Ordinal);
    }

    public void Dispose() => File.Delete(_path);
}
