using Ballast.Fuzz.Balloon;
using Ballast.Fuzz.Support;
using Ballast.Fuzz.VhostUser;
using Ballast.VhostUser.Protocol;

namespace Ballast.Fuzz.Tests;

/// <summary>The harnesses' own checks catch what they are there to catch (a check that never fires finds nothing).</summary>
public sealed class OracleTests
{
    [Fact]
    public void FdPool_ReportsADuplicateNobodyClosed()
    {
        using var pool = new FdPool();
        pool.Reset();
        var closed = pool.Select(FdPool.Ram);
        var leaked = pool.Select(FdPool.Kick);
        Fds.Close(closed);
        var e = Assert.Throws<InvariantViolationException>(() => pool.CheckNoLeaks("test"));
        Assert.Contains($"descriptor {leaked}", e.Message, StringComparison.Ordinal);
        Fds.Close(leaked);
        pool.CheckNoLeaks("test");
    }

    [Fact]
    public void PagePattern_SeesAReleasedPageAndAStrayByte()
    {
        using var memory = BalloonLayout.Create();
        var pattern = new PagePattern();
        var pfn = BalloonLayout.DataPfns[70];
        pattern.Fill(memory, pfn);
        Assert.Equal(-1, pattern.FirstDifference(memory, pfn, full: true));
        memory.GetSpan(pfn * BalloonLayout.Page + 100, 1)[0] ^= 1;
        Assert.Equal(-1, pattern.FirstDifference(memory, pfn, full: false));   // the quick check samples the ends only
        Assert.Equal(100, pattern.FirstDifference(memory, pfn, full: true));
        memory.GetSpan(pfn * BalloonLayout.Page, (int)BalloonLayout.Page).Clear();   // what a release leaves
        Assert.Equal(0, pattern.FirstDifference(memory, pfn, full: false));
    }

    [Fact]
    public void ReplyCheck_RejectsAReplyWithTheWrongFlags()
    {
        var device = new Ballast.Balloon.Device.BalloonDevice(new Ballast.Balloon.Device.BalloonDeviceOptions());
        var request = MessageHeader.ForRequest((uint)FrontendRequest.GetQueueNum, 0);
        ReplySink.Reply Reply(uint flags, ulong value) =>
            new(new MessageHeader(request.Request, flags, 8), BitConverter.GetBytes(value));

        ReplyCheck.Check(request, 0, null, [Reply(HeaderFlags.ReplyFlags, 3)], device);
        Assert.Throws<InvariantViolationException>(() => ReplyCheck.Check(request, 0, null, [Reply(HeaderFlags.Version1, 3)], device));
        Assert.Throws<InvariantViolationException>(() => ReplyCheck.Check(request, 0, null, [Reply(HeaderFlags.ReplyFlags, 2)], device));
        Assert.Throws<InvariantViolationException>(() => ReplyCheck.Check(request, 0, null, [], device));
    }

    [Fact]
    public void Replay_ReportsTheInputThatThrows()
    {
        var dir = Directory.CreateTempSubdirectory("ballast-fuzz-replay-");
        try
        {
            File.WriteAllBytes(Path.Combine(dir.FullName, "ok"), [1]);
            File.WriteAllBytes(Path.Combine(dir.FullName, "bad"), [2]);
            var log = new StringWriter();
            Assert.Equal(1, Replay.Run(new ThrowsOnTwo(), [dir.FullName], log));
            Assert.Contains("FAILED " + Path.Combine(dir.FullName, "bad"), log.ToString(), StringComparison.Ordinal);
            Assert.Contains("2 inputs, 1 failed", log.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private sealed class ThrowsOnTwo : IFuzzTarget
    {
        public string Name => "test";

        public void Run(ReadOnlySpan<byte> input)
        {
            if (input[0] == 2)
                throw new InvariantViolationException("two");
        }
    }
}
