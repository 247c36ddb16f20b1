using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Ballast.Linux.Interop;
using Ballast.VhostUser.Protocol;

namespace Ballast.Fuzz.VhostUser;

/// <summary>
/// The front-end's end of the connection socket: where the backend's replies land. The harness never writes to
/// it; after every message it collects the replies that came back (<see cref="Collect"/>) and checks them.
/// </summary>
internal sealed unsafe class ReplySink(int fd)
{
    private readonly List<byte> _pending = [];

    /// <summary>One reply as it came off the wire.</summary>
    public readonly record struct Reply(MessageHeader Header, byte[] Payload);

    /// <summary>
    /// Reads everything queued and splits it into whole messages. Returns false if the peer has closed its end
    /// (EOF seen). A reply cut in the middle stays pending for the next call.
    /// </summary>
    public bool Collect(List<Reply> replies)
    {
        var open = true;
        var buf = stackalloc byte[4096];
        while (true)
        {
            var n = Libc.recv(fd, buf, 4096, Libc.MSG_DONTWAIT);
            if (n > 0)
            {
                _pending.AddRange(new ReadOnlySpan<byte>(buf, (int)n));
                continue;
            }
            if (n == 0)
            {
                open = false;
                break;
            }
            var errno = Marshal.GetLastPInvokeError();
            if (errno == Libc.EINTR)
                continue;
            // A Unix stream socket closed with bytes it never read (the session ended before the rest of the input)
            // reports ECONNRESET to its peer instead of end-of-file: closed all the same.
            if (errno == Libc.ECONNRESET)
                open = false;
            break;
        }
        var span = CollectionsMarshal.AsSpan(_pending);
        var used = 0;
        while (span.Length - used >= MessageHeader.WireSize)
        {
            var header = MessageHeader.Read(span[used..]);
            var size = (int)Math.Min(header.PayloadSize, int.MaxValue - MessageHeader.WireSize);
            if (span.Length - used - MessageHeader.WireSize < size)
                break;
            replies.Add(new Reply(header, span.Slice(used + MessageHeader.WireSize, size).ToArray()));
            used += MessageHeader.WireSize + size;
        }
        _pending.RemoveRange(0, used);
        return open;
    }

    /// <summary>Bytes of a reply that has not arrived whole.</summary>
    public int PendingBytes => _pending.Count;

    /// <summary>The u64 payload of a reply.</summary>
    public static ulong U64(in Reply reply) => BinaryPrimitives.ReadUInt64LittleEndian(reply.Payload);
}
