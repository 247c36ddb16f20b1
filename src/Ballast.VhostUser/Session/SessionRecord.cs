using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Ballast.Linux;
using Ballast.Linux.Interop;

namespace Ballast.VhostUser.Session;

/// <summary>
/// A session's latest <see cref="SessionSnapshot"/> in a memfd that a keeper (<see cref="IDescriptorStore"/>) holds:
/// written with pwrite(2), so a write survives the writer's SIGKILL the moment it returns. Two slots and a sequence
/// number: a snapshot goes into the slot not in use, then the sequence number flips to it, so a process killed in the
/// middle of a write leaves the previous snapshot readable. The replied mark is the <see cref="OwedReply.Sequence"/> of the
/// last reply sent: one pwrite after the send, so a snapshot's owed reply is settled without saving it again.
/// <code>
///  0       8       16      20      24        32 ... 64         64 + SlotSize
///  +-------+-------+-------+-------+---------+      +----------+----------+
///  | magic |  seq  | len 0 | len 1 | replied |      |  slot 0  |  slot 1  |   slot seq % 2 is current
///  +-------+-------+-------+-------+---------+      +----------+----------+
/// </code>
/// </summary>
internal sealed unsafe class SessionRecord : IDisposable
{
    private const ulong Magic = 0x3152534754534C42; // "BLSTGSR1"
    private const int HeaderSize = 64;
    private const int SlotSize = 4096;
    private const int FileSize = HeaderSize + 2 * SlotSize;
    private const int RepliedOffset = 24;
    private int _fd;
    private ulong _seq;

    static SessionRecord()
    {
        if (SessionSnapshot.MaxEncodedSize > SlotSize)
            throw new InvalidOperationException("a session snapshot does not fit a record slot");
    }

    private SessionRecord(int fd, ulong seq)
    {
        _fd = fd;
        _seq = seq;
    }

    /// <summary>The memfd (for the keeper).</summary>
    public int Fd => _fd;

    /// <summary>A new, empty record.</summary>
    public static SessionRecord Create()
    {
        var fd = Libc.memfd_create("ballast-session", Libc.MFD_CLOEXEC);
        if (fd < 0)
            throw SyscallException.FromLastError("memfd_create");
        try
        {
            if (Libc.ftruncate(fd, FileSize) != 0)
                throw SyscallException.FromLastError("ftruncate");
            Span<byte> header = stackalloc byte[HeaderSize];
            header.Clear();
            BinaryPrimitives.WriteUInt64LittleEndian(header, Magic);
            Write(fd, header, 0);
            return new SessionRecord(fd, 0);
        }
        catch
        {
            _ = Libc.close(fd);
            throw;
        }
    }

    /// <summary>Takes over a kept record (owns <paramref name="fd"/>) and reads its current snapshot: null, with why, if none.</summary>
    public static SessionRecord Open(int fd, out SessionSnapshot? snapshot, out string? error)
    {
        var record = new SessionRecord(fd, 0);
        snapshot = null;
        Span<byte> header = stackalloc byte[HeaderSize];
        if (!TryRead(fd, header, 0) || BinaryPrimitives.ReadUInt64LittleEndian(header) != Magic)
        {
            error = "the kept session descriptor is not a Ballast session record";
            return record;
        }
        record._seq = BinaryPrimitives.ReadUInt64LittleEndian(header[8..]);
        record.Replied = BinaryPrimitives.ReadUInt64LittleEndian(header[RepliedOffset..]);
        if (record._seq == 0)
        {
            error = "the session record was never written";
            return record;
        }
        var slot = (int)(record._seq % 2);
        var length = BinaryPrimitives.ReadInt32LittleEndian(header[(16 + 4 * slot)..]);
        if (length is <= 0 or > SlotSize)
        {
            error = $"the session record's current slot claims {length} bytes";
            return record;
        }
        var bytes = new byte[length];
        if (!TryRead(fd, bytes, HeaderSize + slot * SlotSize))
        {
            error = "the session record is shorter than its header says";
            return record;
        }
        snapshot = SessionSnapshot.Decode(bytes, out error);
        return record;
    }

    /// <summary>Writes <paramref name="snapshot"/> into the unused slot, then makes it current.</summary>
    public void Save(SessionSnapshot snapshot)
    {
        var bytes = snapshot.Encode();
        var next = _seq + 1;
        var slot = (int)(next % 2);
        Write(_fd, bytes, HeaderSize + slot * SlotSize);
        Span<byte> word = stackalloc byte[8];
        BinaryPrimitives.WriteInt32LittleEndian(word, bytes.Length);
        Write(_fd, word[..4], 16 + 4 * slot);
        BinaryPrimitives.WriteUInt64LittleEndian(word, next);
        Write(_fd, word, 8);
        _seq = next;
    }

    /// <summary>The sequence number of the last reply marked sent (0: none); read when the record is opened.</summary>
    public ulong Replied { get; private set; }

    /// <summary>Marks the reply numbered <paramref name="sequence"/> as sent: the record's owed reply is settled.</summary>
    public void MarkReplied(ulong sequence)
    {
        Span<byte> word = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(word, sequence);
        Write(_fd, word, RepliedOffset);
        Replied = sequence;
    }

    private static void Write(int fd, ReadOnlySpan<byte> data, long offset)
    {
        fixed (byte* p = data)
        {
            var done = 0;
            while (done < data.Length)
            {
                var n = Libc.pwrite(fd, p + done, (nuint)(data.Length - done), offset + done);
                if (n < 0)
                {
                    if (Marshal.GetLastPInvokeError() == Libc.EINTR)
                        continue;
                    throw SyscallException.FromLastError("pwrite(session record)");
                }
                done += (int)n;
            }
        }
    }

    private static bool TryRead(int fd, Span<byte> data, long offset)
    {
        fixed (byte* p = data)
        {
            var done = 0;
            while (done < data.Length)
            {
                var n = Libc.pread(fd, p + done, (nuint)(data.Length - done), offset + done);
                if (n < 0 && Marshal.GetLastPInvokeError() == Libc.EINTR)
                    continue;
                if (n <= 0)
                    return false;
                done += (int)n;
            }
        }
        return true;
    }

    /// <summary>Closes this process's descriptor (the keeper's copy stays).</summary>
    public void Dispose()
    {
        var fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
            _ = Libc.close(fd);
    }
}
