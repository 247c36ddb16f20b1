using System.Diagnostics;
using Ballast.Linux.Interop;
using Ballast.TestKit;

namespace Ballast.Linux.Tests;

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
    public async Task WrappedBlockingEventfd_AtItsMaximum_SignalDoesNotBlock()
    {
        // A peer may hand over an eventfd without O_NONBLOCK: write(2) at 2^64 − 2 then waits for a reader.
        var fd = BlockingEventFd(ulong.MaxValue - 1);
        using var e = new EventFd(fd, owned: true);
        var signal = Task.Run(e.Signal);
        try
        {
            Assert.True(await FinishesAsync(signal), "Signal blocked on a full blocking eventfd");
        }
        finally
        {
            Drain(fd);
            await FinishesAsync(signal);
        }
    }

    [Fact]
    public async Task WrappedBlockingEventfd_ThatIsEmpty_TryConsumeReturnsZero()
    {
        // The front-end may drain its kick eventfd between our poll and our read: read(2) would then wait for a write.
        var fd = BlockingEventFd(0);
        using var e = new EventFd(fd, owned: true);
        var consume = Task.Run(e.TryConsume);
        try
        {
            Assert.True(await FinishesAsync(consume), "TryConsume blocked on an empty blocking eventfd");
            Assert.Equal(0UL, await consume);
        }
        finally
        {
            Add(fd, 1);
            await FinishesAsync(consume);
        }
    }

    [Fact]
    public async Task WrappedBlockingEventfd_ThatIsEmpty_TryConsumeReturnsZero_AlsoWithoutNoWaitReads()
    {
        // Kernels before 5.12 refuse preadv2(RWF_NOWAIT) on an eventfd: then poll(2) decides whether to read.
        var fd = BlockingEventFd(0);
        using var e = new EventFd(fd, owned: true);
        EventFd.ReadNoWait = false;
        try
        {
            Assert.True(await FinishesAsync(Task.Run(e.TryConsume)), "TryConsume blocked on an empty blocking eventfd");
            Add(fd, 3);
            Assert.Equal(3UL, e.TryConsume());
        }
        finally
        {
            EventFd.ReadNoWait = true;
            Add(fd, 1);
        }
    }

    [Fact]
    public void WrappedBlockingEventfd_SignalAndTryConsumeStillWork()
    {
        using var e = new EventFd(BlockingEventFd(0), owned: true);

        e.Signal();
        e.Signal();

        Assert.Equal(2UL, e.TryConsume());
    }

    /// <summary>An eventfd without EFD_NONBLOCK holding <paramref name="value"/>.</summary>
    private static int BlockingEventFd(ulong value)
    {
        var fd = Libc.eventfd(0, Libc.EFD_CLOEXEC);
        Assert.True(fd >= 0);
        if (value != 0)
            Add(fd, value);
        return fd;
    }

    private static unsafe void Add(int fd, ulong value) => Assert.Equal(8, (int)Libc.write(fd, &value, sizeof(ulong)));

    /// <summary>True if <paramref name="task"/> ends within 5 s.</summary>
    private static async Task<bool> FinishesAsync(Task task)
    {
        try
        {
            await task.WaitAsync(TimeSpan.FromSeconds(5));
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>Reads the counter if it is not zero, so a writer stuck in write(2) goes on.</summary>
    private static unsafe void Drain(int fd)
    {
        var pfd = new Libc.pollfd { fd = fd, events = Libc.POLLIN };
        if (Libc.poll(&pfd, 1, 0) == 1)
        {
            ulong value;
            _ = Libc.read(fd, &value, sizeof(ulong));
        }
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
        e.Signal();                          // nobody listens any more: a no-op, never a write to a stale number
        Assert.Equal(0UL, e.TryConsume());
    }

    [Fact]
    public void Dispose_WhileASignalIsInFlight_ClosesOnlyAfterIt()
    {
        // SET_VRING_CALL replaces and disposes the call eventfd on the event loop while another thread (the
        // statistics poller) may be signalling it outside the device lock: the descriptor must stay open until that
        // write is done, or the write could land on a descriptor number the process has reused meanwhile.
        var e = new EventFd();
        var fd = e.Fd;
        Assert.True(e.TryAddRef());          // what Signal holds while it writes

        e.Dispose();

        Assert.StartsWith("anon_inode:[eventfd]", FdProbe.Target(fd), StringComparison.Ordinal);
        Assert.False(e.TryAddRef());         // no new operation starts on a disposed eventfd
        e.Release();
        Assert.Equal(-1, e.Fd);
        Assert.Null(FdProbe.Target(fd));
    }

    [Fact]
    public void Constructor_RejectsNegativeFd() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new EventFd(-1, owned: false));
}
