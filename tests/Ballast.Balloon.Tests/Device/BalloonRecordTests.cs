using System.Buffers.Binary;
using Ballast.Balloon.Device;
using Ballast.Bitmap;
using Ballast.Linux;
using Ballast.TestKit;
using CsCheck;

namespace Ballast.Balloon.Tests.Device;

/// <summary>
/// <see cref="BalloonRecord"/> on its own: a flat bitmap of frames behind a 64-byte header in a memfd. Ranges are set
/// and cleared a word at a time, runs come back maximal and ascending, a second instance on a dup of the descriptor
/// (the next worker) reads the same record, and anything that is not a record is refused with the reason.
/// </summary>
public sealed class BalloonRecordTests
{
    [Fact]
    public void Create_IsEmptyWithCapacityInWholeWords()
    {
        using var record = BalloonRecord.Create(1000);

        Assert.True(record.FrameCapacity >= 1000);
        Assert.Equal(0UL, record.FrameCapacity % 64);
        Assert.Equal(0UL, record.Count);
        Assert.Empty(record.Runs());
        Assert.Equal(0U, record.TargetPages);
        Assert.Equal(0U, record.ActualPages);
    }

    [Fact]
    public void Create_WritesTheHeaderLayout()
    {
        using var record = BalloonRecord.Create(64 * 100);
        record.TargetPages = 0x1234;
        record.ActualPages = 0x56;
        using var raw = SharedMemoryFile.Open(FdProbe.Dup(record.Fd));
        var header = raw.GetSpan(0, BalloonRecord.HeaderSize);

        Assert.Equal("BALLAST\0"u8.ToArray(), header[..8].ToArray());
        Assert.Equal("FRMS"u8.ToArray(), header[8..12].ToArray());
        Assert.Equal(BalloonRecord.FormatVersion, BinaryPrimitives.ReadUInt32LittleEndian(header[12..]));
        Assert.Equal(record.FrameCapacity, BinaryPrimitives.ReadUInt64LittleEndian(header[16..]));
        Assert.Equal(0x1234U, BinaryPrimitives.ReadUInt32LittleEndian(header[24..]));
        Assert.Equal(0x56U, BinaryPrimitives.ReadUInt32LittleEndian(header[28..]));
    }

    [Fact]
    public void SetRange_IsBitPfnOfWordPfnOver64()
    {
        using var record = BalloonRecord.Create(256);
        record.SetRange(65, 1);
        record.SetRange(130, 3);
        using var raw = SharedMemoryFile.Open(FdProbe.Dup(record.Fd));
        var bitmap = raw.GetSpan(BalloonRecord.HeaderSize, 32);

        Assert.Equal(0UL, BinaryPrimitives.ReadUInt64LittleEndian(bitmap));
        Assert.Equal(1UL << 1, BinaryPrimitives.ReadUInt64LittleEndian(bitmap[8..]));
        Assert.Equal(0b111UL << 2, BinaryPrimitives.ReadUInt64LittleEndian(bitmap[16..]));
    }

    [Fact]
    public void SetAndClearRange_AcrossWords_GiveMaximalRuns()
    {
        using var record = BalloonRecord.Create(1024);
        record.SetRange(10, 300);      // words 0..4
        record.ClearRange(64, 64);     // exactly word 1
        record.SetRange(500, 1);
        record.SetRange(501, 12);      // joins the previous frame
        record.SetRange(1023, 1);      // the last frame

        Assert.Equal(
            [new XBitmapRun(10, 54), new XBitmapRun(128, 182), new XBitmapRun(500, 13), new XBitmapRun(1023, 1)],
            record.Runs().ToList());
        Assert.Equal(54UL + 182 + 13 + 1, record.Count);
        Assert.True(record.Test(63));
        Assert.False(record.Test(64));
        Assert.False(record.Test(record.FrameCapacity));
    }

    [Fact]
    public void Ranges_MatchABoolArray() =>
        Gen.Select(Gen.Bool, Gen.Int[0, 700], Gen.Int[0, 200]).Array[1, 40].Sample(ops =>
        {
            using var record = BalloonRecord.Create(960);
            var expected = new bool[record.FrameCapacity];
            foreach (var (set, start, length) in ops)
            {
                if (set)
                    record.SetRange((ulong)start, (ulong)length);
                else
                    record.ClearRange((ulong)start, (ulong)length);
                Array.Fill(expected, set, start, length);
            }
            Assert.Equal(RunsOf(expected), record.Runs().ToList());
            Assert.Equal((ulong)expected.Count(b => b), record.Count);
        }, iter: 300);

    [Fact]
    public void Range_BeyondTheCapacity_Throws()
    {
        using var record = BalloonRecord.Create(128);
        var last = record.FrameCapacity - 8;

        Assert.Throws<ArgumentOutOfRangeException>(() => record.SetRange(last, 9));
        Assert.Throws<ArgumentOutOfRangeException>(() => record.ClearRange(ulong.MaxValue, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => record.SetRange(record.FrameCapacity, 1));
        record.SetRange(last, 8);
        Assert.Equal(8UL, record.Count);
    }

    [Fact]
    public void EnsureCapacity_GrowsAndKeepsFrames()
    {
        using var record = BalloonRecord.Create(64);
        record.SetRange(3, 60);
        record.TargetPages = 7;

        record.EnsureCapacity(1 << 20);
        record.SetRange((1 << 20) - 1, 1);
        record.EnsureCapacity(10);   // never shrinks

        Assert.True(record.FrameCapacity >= 1 << 20);
        Assert.Equal([new XBitmapRun(3, 60), new XBitmapRun((1 << 20) - 1, 1)], record.Runs().ToList());
        Assert.Equal(7U, record.TargetPages);
    }

    [Fact]
    public void ClearAll_ForgetsFramesAndKeepsSizes()
    {
        using var record = BalloonRecord.Create(1 << 16);
        record.SetRange(0, 1 << 16);
        record.TargetPages = 9;
        record.ActualPages = 8;

        record.ClearAll();

        Assert.Equal(0UL, record.Count);
        Assert.Equal(9U, record.TargetPages);
        Assert.Equal(8U, record.ActualPages);
        record.SetRange(5, 1);
        Assert.Equal([new XBitmapRun(5, 1)], record.Runs().ToList());
    }

    [Fact]
    public void Open_OnADup_SeesTheSameRecord()
    {
        using var first = BalloonRecord.Create(4096);
        first.SetRange(100, 50);
        first.TargetPages = 300;
        first.ActualPages = 150;

        using var second = BalloonRecord.Open(FdProbe.Dup(first.Fd));
        second.SetRange(4000, 2);

        Assert.Equal(first.FrameCapacity, second.FrameCapacity);
        Assert.Equal([new XBitmapRun(100, 50), new XBitmapRun(4000, 2)], first.Runs().ToList());
        Assert.Equal(300U, second.TargetPages);
        Assert.Equal(150U, second.ActualPages);
    }

    [Fact]
    public void Open_FinishesAClearCutShort()
    {
        // A worker killed inside ClearAll (a device reset) left the clearing flag set and frames behind.
        using var first = BalloonRecord.Create(640);
        first.SetRange(0, 640);
        using (var raw = SharedMemoryFile.Open(FdProbe.Dup(first.Fd)))
            BinaryPrimitives.WriteUInt32LittleEndian(raw.GetSpan(32, 4), 1);

        using var second = BalloonRecord.Open(FdProbe.Dup(first.Fd));

        Assert.Equal(0UL, second.Count);
        Assert.Equal(0UL, first.Count);
    }

    [Fact]
    public void Open_RefusesAFileWithoutTheMagic()
    {
        using var other = SharedMemoryFile.Create("not-a-record", 8192);
        other.GetSpan(0, 8192).Fill(0x42);

        var e = Assert.Throws<InvalidDataException>(() => BalloonRecord.Open(FdProbe.Dup(other.Fd)));

        Assert.Contains("not a balloon record: magic is 4242424242424242", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_RefusesAnotherKindOrVersion()
    {
        using var record = BalloonRecord.Create(64);
        using var raw = SharedMemoryFile.Open(FdProbe.Dup(record.Fd));

        BinaryPrimitives.WriteUInt32LittleEndian(raw.GetSpan(12, 4), 2);
        var version = Assert.Throws<InvalidDataException>(() => BalloonRecord.Open(FdProbe.Dup(record.Fd)));
        "VRNG"u8.CopyTo(raw.GetSpan(8, 4));
        var kind = Assert.Throws<InvalidDataException>(() => BalloonRecord.Open(FdProbe.Dup(record.Fd)));

        Assert.Contains("format version 2 is not the version 1", version.Message, StringComparison.Ordinal);
        Assert.Contains("not a balloon frame record: kind", kind.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_RefusesACapacityTheFileCannotHold()
    {
        using var record = BalloonRecord.Create(64);
        using var raw = SharedMemoryFile.Open(FdProbe.Dup(record.Fd));
        BinaryPrimitives.WriteUInt64LittleEndian(raw.GetSpan(16, 8), 1 << 20);

        var e = Assert.Throws<InvalidDataException>(() => BalloonRecord.Open(FdProbe.Dup(record.Fd)));

        Assert.Contains("needs 131136 bytes, the file has 4096", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_RefusesAShortFileAndANonFile()
    {
        var fd = FdProbe.CreateMemfd(16, out _);
        using var eventFd = new EventFd();

        var shortFile = Assert.Throws<InvalidDataException>(() => BalloonRecord.Open(fd));
        var notFile = Assert.Throws<InvalidDataException>(() => BalloonRecord.Open(FdProbe.Dup(eventFd.Fd)));

        Assert.Contains("shorter than the 64-byte header", shortFile.Message, StringComparison.Ordinal);
        Assert.Contains("not a regular file", notFile.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Runs_Over8GiBOfFrames_FindEveryRunAcrossWordEdges()
    {
        const ulong frames = 8UL << 30 >> 12;   // 2M frames
        using var record = BalloonRecord.Create(frames);
        record.SetRange(0, frames / 2);   // one long run, then 8,192 short ones across word edges
        var expectedRuns = 1;
        var expectedCount = frames / 2;
        for (var pfn = frames / 2 + 50; pfn + 37 <= frames; pfn += 128)
        {
            record.SetRange(pfn, 37);
            expectedRuns++;
            expectedCount += 37;
        }

        // Correctness only: the walk's speed (about 0.5 ms for these 2M frames here) is a figure for a benchmark, not a test.
        Assert.Equal(expectedRuns, CountRuns(record));
        Assert.Equal(expectedCount, record.Count);
    }

    [Fact]
    public void RunsAndCount_OverAHugeSparseRecord_ReadOnlyTheWrittenPages()
    {
        // 2^30 frames (4 TiB of guest-physical space, a 128 MiB bitmap) with two frames set far apart.
        using var record = BalloonRecord.Create(1UL << 30);
        record.SetRange(5, 1);
        record.SetRange((1UL << 30) - 1, 1);
        record.ClearAll();
        record.SetRange(70_000_000, 3);
        record.SetRange((1UL << 30) - 1, 1);

        Assert.Equal([new XBitmapRun(70_000_000, 3), new XBitmapRun((1UL << 30) - 1, 1)], record.Runs().ToList());
        Assert.Equal(4UL, record.Count);
        Assert.InRange(AllocatedBytes(record.Fd), 0, 4 * 4096);
    }

    private static int CountRuns(BalloonRecord record)
    {
        var runs = 0;
        foreach (var _ in record.Runs())
            runs++;
        return runs;
    }

    private static long AllocatedBytes(int fd)
    {
        using var raw = SharedMemoryFile.Open(FdProbe.Dup(fd));
        var held = 0L;
        for (var offset = raw.NextData(0); offset < raw.Length; offset = raw.NextData(offset))
        {
            var hole = raw.NextHole(offset);
            held += hole - offset;
            offset = hole;
        }
        return held;
    }

    private static List<XBitmapRun> RunsOf(bool[] bits)
    {
        var runs = new List<XBitmapRun>();
        for (var i = 0; i < bits.Length;)
        {
            if (!bits[i])
            {
                i++;
                continue;
            }
            var start = i;
            while (i < bits.Length && bits[i])
                i++;
            runs.Add(new XBitmapRun((ulong)start, (ulong)(i - start)));
        }
        return runs;
    }

    [Fact]
    public void PollingInterval_IsUnsetInANewRecord_AndSurvivesAReopen()
    {
        using var record = BalloonRecord.Create(64);
        Assert.Null(record.PollingIntervalSeconds);

        record.PollingIntervalSeconds = 0;
        Assert.Equal(0, record.PollingIntervalSeconds);
        record.PollingIntervalSeconds = 86_400;
        using var reopened = BalloonRecord.Open(FdProbe.Dup(record.Fd));

        Assert.Equal(86_400, reopened.PollingIntervalSeconds);
        reopened.PollingIntervalSeconds = null;
        Assert.Null(record.PollingIntervalSeconds);
    }
}
