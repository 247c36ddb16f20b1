using System.Numerics;
using Ballast.Linux;

namespace Ballast.Balloon.Device;

/// <summary>
/// The balloon's crash record (issue #12): every ballooned 4 KiB guest frame as one bit of a flat bitmap indexed by
/// PFN, plus num_pages and actual, in a <see cref="SharedMemoryFile"/> (a memfd) that the supervisor of
/// <c>ballast serve</c> holds while workers come and go. A worker killed with SIGKILL at any instant leaves behind
/// exactly the stores it executed: each write here is a plain store into MAP_SHARED memory, in the file the instant it
/// runs, with nothing to flush. A new worker opens the same file (<see cref="Open"/>) and
/// <see cref="BalloonDevice.AttachRecord"/> resumes from it.
/// </summary>
/// <remarks>
/// <para>Layout (host byte order, little-endian on every platform Ballast runs on):</para>
/// <code>
///  0             8       12        16                24          28       32       36        40          44         64
///  +-------------+-------+---------+-----------------+-----------+--------+--------+---------+-----------+----------+-----------------
///  | magic       | kind  | version | frame_capacity  | num_pages | actual | flags  | polling | poison_val| reserved | bitmap: u64 words
///  | "BALLAST\0" | "FRMS"| u32 1   | u64, ×64        | u32       | u32    | u32    | u32     | u32       | zero     | PFN p = bit p % 64
///  +-------------+-------+---------+-----------------+-----------+--------+--------+---------+-----------+----------+  of word p / 64
///
///  flags bit 0: a ClearAll is under way (see crash safety below)
/// </code>
/// <para>
/// Cost: one bit per frame up to the highest guest frame, whatever lies between: 32 KiB per GiB of guest-physical
/// address space (256 KiB for an 8 GiB guest). The memfd allocates a page only when it is touched (written, or read
/// through the mapping), so the bitmap over guest-physical holes costs nothing: <see cref="Runs"/> and
/// <see cref="Count"/> skip the pages the file does not hold (lseek SEEK_DATA) instead of reading them, and
/// <see cref="ClearAll"/> gives every page back. <see cref="FrameCapacity"/> is what the file holds, a multiple of 64
/// and at most <see cref="MaxFrameCapacity"/>.
/// </para>
/// <para>
/// Crash safety: <see cref="SetRange"/> and <see cref="ClearRange"/> are not atomic as a whole, and need not be: the
/// device records a frame before it releases it or returns its buffer, and forgets a deflated frame before it returns
/// the deflate buffer, so a half-done change belongs to a buffer the guest has not seen used, and the new worker
/// replays that buffer. <see cref="ClearAll"/> (a device reset, which nothing replays) is made atomic with a flag:
/// a record found with it set is cleared by <see cref="Open"/> before anything reads it.
/// </para>
/// <para>Not thread-safe: the device calls it under its lock. One process writes it at a time.</para>
/// </remarks>
public sealed unsafe class BalloonRecord : IDisposable
{
    /// <summary>Bytes before the bitmap.</summary>
    public const int HeaderSize = 64;

    /// <summary>The layout this build writes and reads.</summary>
    public const uint FormatVersion = 1;

    /// <summary>
    /// Most frames a record covers: 2^36 frames = 256 TiB of guest-physical address space (an 8 GiB bitmap at most).
    /// The device leaves frames above it unrecorded, which is safe: a restarted worker only forgets them.
    /// </summary>
    public const ulong MaxFrameCapacity = 1UL << 36;

    private const int MagicOffset = 0, KindOffset = 8, VersionOffset = 12, CapacityOffset = 16;
    private const int NumPagesOffset = 24, ActualOffset = 28, FlagsOffset = 32, PollingOffset = 36, PoisonOffset = 40;
    private const uint ClearingFlag = 1;   // ClearAll started and has not finished
    private const int FileGranule = 4096;  // the file grows in whole pages

    private static ReadOnlySpan<byte> Magic => "BALLAST\0"u8;
    private static ReadOnlySpan<byte> Kind => "FRMS"u8;

    private readonly SharedMemoryFile _file;

    private BalloonRecord(SharedMemoryFile file) => _file = file;

    /// <summary>
    /// A new, empty record on a new memfd covering at least <paramref name="frameCapacity"/> frames (frames 0 ..
    /// capacity − 1), with num_pages and actual 0.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="frameCapacity"/> exceeds <see cref="MaxFrameCapacity"/>.</exception>
    /// <exception cref="SyscallException">The memfd could not be made or mapped.</exception>
    public static BalloonRecord Create(ulong frameCapacity, string name = "ballast-balloon-record")
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(frameCapacity, MaxFrameCapacity);
        var file = SharedMemoryFile.Create(name, FileBytes(frameCapacity));
        var record = new BalloonRecord(file);
        record.Write64(CapacityOffset, BitsIn(file.Length));
        record.Write32(VersionOffset, FormatVersion);
        Kind.CopyTo(file.GetSpan(KindOffset, Kind.Length));
        // The magic last: a file cut short while being made is never taken for a record.
        Magic.CopyTo(file.GetSpan(MagicOffset, Magic.Length));
        return record;
    }

    /// <summary>
    /// Opens the record in <paramref name="fd"/> (a dup of another worker's <see cref="Fd"/>), taking ownership of the
    /// descriptor (closed on failure too). A record whose <see cref="ClearAll"/> was cut short is cleared now.
    /// </summary>
    /// <exception cref="InvalidDataException">The descriptor is not a regular file, or its contents are not a balloon
    /// record this build reads: the message says which check failed (magic, kind, version, capacity, size).</exception>
    /// <exception cref="SyscallException">fstat or mmap failed.</exception>
    public static BalloonRecord Open(int fd)
    {
        var file = SharedMemoryFile.Open(fd);
        try
        {
            var record = new BalloonRecord(file);
            record.Validate();
            if ((record.Read32(FlagsOffset) & ClearingFlag) != 0)
                record.ClearAll();
            return record;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>The memfd; hand a dup of it to the supervisor (or the next worker).</summary>
    public int Fd => _file.Fd;

    /// <summary>Frames the record covers: PFNs 0 .. FrameCapacity − 1 (frame_capacity).</summary>
    public ulong FrameCapacity => Read64(CapacityOffset);

    /// <summary>num_pages as the device last set it: the host's target in 4 KiB pages.</summary>
    public uint TargetPages
    {
        get => Read32(NumPagesOffset);
        set => Write32(NumPagesOffset, value);
    }

    /// <summary>actual as the driver last wrote it, in 4 KiB pages.</summary>
    public uint ActualPages
    {
        get => Read32(ActualOffset);
        set => Write32(ActualOffset, value);
    }

    /// <summary>
    /// The host's statistics polling interval in seconds (0: off), so that a new worker polls as the one before did
    /// after it was changed through the API; null if never set. Stored as seconds + 1 (a fresh record reads 0: unset).
    /// </summary>
    public int? PollingIntervalSeconds
    {
        get => Read32(PollingOffset) is var stored && stored == 0 ? null : (int)(stored - 1);
        set => Write32(PollingOffset, value is { } seconds ? (uint)seconds + 1 : 0);
    }

    /// <summary>
    /// poison_val as the driver last wrote it (VIRTIO 1.2 §5.5.6.5): the driver writes it once, before DRIVER_OK, so a
    /// new worker must know it to keep reported pages intact. Was reserved (zero) before; a record of an older worker
    /// reads 0, what that worker assumed.
    /// </summary>
    public uint PoisonValue
    {
        get => Read32(PoisonOffset);
        set => Write32(PoisonOffset, value);
    }

    /// <summary>Frames recorded: a population count over the pages of the bitmap the file holds.</summary>
    public ulong Count
    {
        get
        {
            var words = Words;
            var n = WordCount;
            ulong count = 0;
            for (var i = NextDataWord(0); i < n; i = NextDataWord(i))
            {
                var hole = Math.Max(NextHoleWord(i), i + 1);
                for (; i < hole; i++)
                    count += (ulong)BitOperations.PopCount(words[i]);
            }
            return count;
        }
    }

    /// <summary>
    /// Grows the record to cover at least <paramref name="frames"/> frames; recorded frames stay. Never shrinks. The
    /// file grows before frame_capacity says so, so a crash in between leaves a valid record.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="frames"/> exceeds <see cref="MaxFrameCapacity"/>.</exception>
    /// <exception cref="SyscallException">The file could not be grown or mapped again.</exception>
    public void EnsureCapacity(ulong frames)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(frames, MaxFrameCapacity);
        if (frames <= FrameCapacity)
            return;
        _file.Grow(FileBytes(frames));
        Write64(CapacityOffset, BitsIn(_file.Length));
    }

    /// <summary>True if frame <paramref name="pfn"/> is recorded (false beyond the capacity).</summary>
    public bool Test(ulong pfn) => pfn < FrameCapacity && (Words[pfn >> 6] & (1UL << (int)(pfn & 63))) != 0;

    /// <summary>Records frames [<paramref name="pfn"/>, <paramref name="pfn"/> + <paramref name="count"/>), a word at a time.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range does not lie inside <see cref="FrameCapacity"/>.</exception>
    public void SetRange(ulong pfn, ulong count)
    {
        CheckRange(pfn, count);
        if (count == 0)
            return;
        var words = Words;
        var (first, last, head, tail) = Masks(pfn, count);
        if (first == last)
        {
            words[first] |= head & tail;
            return;
        }
        words[first] |= head;
        new Span<ulong>(words + first + 1, (int)(last - first - 1)).Fill(ulong.MaxValue);
        words[last] |= tail;
    }

    /// <summary>Forgets frames [<paramref name="pfn"/>, <paramref name="pfn"/> + <paramref name="count"/>), a word at a time.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range does not lie inside <see cref="FrameCapacity"/>.</exception>
    public void ClearRange(ulong pfn, ulong count)
    {
        CheckRange(pfn, count);
        if (count == 0)
            return;
        var words = Words;
        var (first, last, head, tail) = Masks(pfn, count);
        if (first == last)
        {
            words[first] &= ~(head & tail);
            return;
        }
        words[first] &= ~head;
        new Span<ulong>(words + first + 1, (int)(last - first - 1)).Clear();
        words[last] &= ~tail;
    }

    /// <summary>
    /// Forgets every frame (num_pages and actual stay) and gives the bitmap's memory back (fallocate PUNCH_HOLE).
    /// Atomic against a crash: the clearing flag is set first and dropped last, and <see cref="Open"/> finishes a
    /// clear it finds flagged.
    /// </summary>
    public void ClearAll()
    {
        Write32(FlagsOffset, Read32(FlagsOffset) | ClearingFlag);
        Interlocked.MemoryBarrier();
        _file.Zero(HeaderSize, _file.Length - HeaderSize);
        Interlocked.MemoryBarrier();
        Write32(FlagsOffset, Read32(FlagsOffset) & ~ClearingFlag);
    }

    /// <summary>
    /// The maximal runs of recorded frames, ascending, found a 64-frame word at a time (an 8 GiB guest's 2M frames in
    /// well under a millisecond), skipping pages of the bitmap the file does not hold. Do not change the record while
    /// enumerating.
    /// </summary>
    public BalloonRecordRuns Runs() => new(this);

    /// <summary>Unmaps the record and closes its descriptor; the record lives on in every other holder of the file.</summary>
    public void Dispose() => _file.Dispose();

    internal ulong* Words => (ulong*)(_file.Pointer + HeaderSize);

    internal ulong WordCount => FrameCapacity / 64;

    /// <summary>The first bitmap word at or after <paramref name="index"/> in a page the file holds (or <see cref="WordCount"/>).</summary>
    internal ulong NextDataWord(ulong index) => WordAt(_file.NextData(HeaderSize + (long)index * sizeof(ulong)));

    /// <summary>The first bitmap word at or after <paramref name="index"/> in a page the file does not hold (or <see cref="WordCount"/>).</summary>
    internal ulong NextHoleWord(ulong index) => WordAt(_file.NextHole(HeaderSize + (long)index * sizeof(ulong)));

    private ulong WordAt(long offset) => Math.Min((ulong)(offset - HeaderSize) / sizeof(ulong), WordCount);

    /// <summary>The file size for <paramref name="frames"/> frames: the header and whole words, in whole pages.</summary>
    private static long FileBytes(ulong frames)
    {
        var bytes = HeaderSize + (long)((frames + 63) / 64 * sizeof(ulong));
        return (bytes + FileGranule - 1) / FileGranule * FileGranule;
    }

    /// <summary>Frames a file of <paramref name="length"/> bytes has room for (whole words after the header).</summary>
    private static ulong BitsIn(long length) => Math.Min((ulong)(length - HeaderSize) / sizeof(ulong) * 64, MaxFrameCapacity);

    private static (ulong First, ulong Last, ulong Head, ulong Tail) Masks(ulong pfn, ulong count)
    {
        var end = pfn + count - 1;
        return (pfn >> 6, end >> 6, ulong.MaxValue << (int)(pfn & 63), ulong.MaxValue >> (int)(63 - (end & 63)));
    }

    private void CheckRange(ulong pfn, ulong count)
    {
        var capacity = FrameCapacity;
        if (pfn > capacity || count > capacity - pfn)
            throw new ArgumentOutOfRangeException(nameof(pfn), pfn,
                $"frames 0x{pfn:x}+{count} lie beyond the record's {capacity} frames (EnsureCapacity first)");
    }

    private void Validate()
    {
        var length = _file.Length;
        if (length < HeaderSize)
            throw new InvalidDataException($"not a balloon record: the file is {length} bytes, shorter than the {HeaderSize}-byte header");
        var magic = _file.GetSpan(MagicOffset, Magic.Length);
        if (!magic.SequenceEqual(Magic))
            throw new InvalidDataException($"not a balloon record: magic is {Convert.ToHexString(magic)}, expected {Convert.ToHexString(Magic)} (\"BALLAST\\0\")");
        var kind = _file.GetSpan(KindOffset, Kind.Length);
        if (!kind.SequenceEqual(Kind))
            throw new InvalidDataException($"not a balloon frame record: kind is {Convert.ToHexString(kind)}, expected {Convert.ToHexString(Kind)} (\"FRMS\")");
        var version = Read32(VersionOffset);
        if (version != FormatVersion)
            throw new InvalidDataException($"balloon record format version {version} is not the version {FormatVersion} this build reads");
        var capacity = Read64(CapacityOffset);
        if (capacity % 64 != 0 || capacity > MaxFrameCapacity)
            throw new InvalidDataException($"balloon record frame capacity {capacity} is not a multiple of 64 up to {MaxFrameCapacity}");
        // Larger is fine: a worker killed while growing the file leaves it longer than frame_capacity says.
        var needed = HeaderSize + (long)(capacity / 8);
        if (length < needed)
            throw new InvalidDataException($"balloon record of {capacity} frames needs {needed} bytes, the file has {length}");
    }

    private uint Read32(int offset) => Volatile.Read(ref *(uint*)(_file.Pointer + offset));

    private void Write32(int offset, uint value) => Volatile.Write(ref *(uint*)(_file.Pointer + offset), value);

    private ulong Read64(int offset) => Volatile.Read(ref *(ulong*)(_file.Pointer + offset));

    private void Write64(int offset, ulong value) => Volatile.Write(ref *(ulong*)(_file.Pointer + offset), value);
}
