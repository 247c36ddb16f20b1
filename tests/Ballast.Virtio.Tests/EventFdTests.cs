using System.Diagnostics;
using Ballast.Virtio.Interop;
using Ballast.Virtio.Tests.Support;

namespace Ballast.Virtio.Tests;

/// <summary><see cref="EventFd"/>: a counter in the kernel; Signal adds, TryConsume/Wait read and reset.</summary>
public sealed class EventFdTests
{
    [Fact]
    public void TryConsume_ReturnsZeroWhenNothingWasSignalled()
    {
        using var e = new EventFd();

        Assert.Equal(0UL, e.TryConsume());
    }

    [Fact]
    public void TryConsume_ReturnsTheNumberOfSignalsAndResets()
    {
        using var e = new EventFd();

        e.Signal();
        e.Signal();
        e.Signal();

        Assert.Equal(3UL, e.TryConsume());
        Assert.Equal(0UL, e.TryConsume());
    }

    [Fact]
    public void Wait_ReturnsAtOnceWhenAlreadySignalled()
    {
        using var e = new EventFd();
        e.Signal();

        Assert.Equal(1UL, e.Wait(0));
        Assert.Equal(0UL, e.Wait(0));
    }

    [Fact]
    public void Wait_TimesOutWithZero()
    {
        using var e = new EventFd();
        var clock = Stopwatch.StartNew();

        Assert.Equal(0UL, e.Wait(50));

        Assert.InRange(clock.ElapsedMilliseconds, 45, 5000);
    }

    [Fact]
    public async Task Wait_WakesWhenAnotherThreadSignals()
    {
        using var e = new EventFd();
        var clock = Stopwatch.StartNew();
        var signaller = Task.Run(() =>
        {
            Thread.Sleep(30);
            e.Signal();
        });

        Assert.Equal(1UL, e.Wait(10_000));

        Assert.InRange(clock.ElapsedMilliseconds, 25, 5000);
        await signaller;
    }

    [Fact]
    public unsafe void Signal_DoesNotBlockOrThrowWhenTheCounterIsFull()
    {
        // The counter saturates at 2^64 − 2; one more write would block (EAGAIN here): a wake-up is pending anyway.
        using var e = new EventFd();
        var max = ulong.MaxValue - 1;
        Assert.Equal(8, (int)Libc.write(e.Fd, &max, sizeof(ulong)));

        e.Signal();

        Assert.Equal(max, e.TryConsume());
    }

    [Fact]
    public void Wrapper_ThatDoesNotOwnTheFdLeavesItOpen()
    {
        using var owner = new EventFd();
        var target = FdProbe.Target(owner.Fd);

        using (var borrowed = new EventFd(owner.Fd, owned: false))
            borrowed.Signal();

        Assert.Equal(target, FdProbe.Target(owner.Fd));
        Assert.Equal(1UL, owner.TryConsume());
    }

    [Fact]
    public void Dispose_ClosesTheFdAndInvalidatesIt()
    {
        var e = new EventFd();
        Assert.StartsWith("anon_inode:[eventfd]", FdProbe.Target(e.Fd), StringComparison.Ordinal);

        e.Dispose();
        e.Dispose();

        Assert.Equal(-1, e.Fd);
        Assert.Throws<SyscallException>(e.Signal);
    }

    [Fact]
    public void Constructor_RejectsNegativeFd() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new EventFd(-1, owned: false));
}
