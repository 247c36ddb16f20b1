using Ballast.Linux.Interop;
using Ballast.Virtio.Memory;
using Ballast.TestKit;

namespace Ballast.Virtio.Tests.Memory;

/// <summary>
/// Failed construction closes each descriptor exactly once. Closing one twice is not harmless in a
/// multi-threaded process: between the two close calls another thread may be given the same number, and the
/// second close then shuts that thread's file.
/// </summary>
public sealed class GuestMemoryFdLeakTests
{
    [Fact]
    public async Task CreateMemfd_FailureDoesNotCloseAnotherThreadsFd()
    {
        // A bystander thread keeps opening eventfds (lowest free number first, so it picks up the number a failing
        // CreateMemfd just closed) and checks each is still its eventfd afterwards.
        using var stop = new CancellationTokenSource();
        var stolen = 0;
        var bystander = Task.Factory.StartNew(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                var fd = Libc.eventfd(0, Libc.EFD_CLOEXEC);
                Assert.True(fd >= 0);
                Thread.SpinWait(200);
                if (FdProbe.Target(fd) != "anon_inode:[eventfd]")
                {
                    Interlocked.Increment(ref stolen);
                    continue; // whoever has the number now owns it
                }
                _ = Libc.close(fd);
            }
        }, TaskCreationOptions.LongRunning);

        try
        {
            for (var i = 0; i < 3000 && Volatile.Read(ref stolen) == 0; i++)
                Assert.Throws<ArgumentException>(() => GuestMemory.CreateMemfd([(0, 8192, 0), (4096, 4096, 0)], "ballast-overlap"));
        }
        finally
        {
            await stop.CancelAsync();
            await bystander;
        }

        Assert.Equal(0, stolen);
    }
}
