using Ballast.Linux.Interop;
using Ballast.Balloon.Device;
using Ballast.Fuzz.Input;
using Ballast.Fuzz.Support;
using Ballast.VhostUser.Backend;
using Ballast.VhostUser.Protocol;
using Ballast.VhostUser.Transport;

namespace Ballast.Fuzz.VhostUser;

/// <summary>
/// Target <c>vhost-user</c>: the backend's request handling (<see cref="BackendConnection"/>, vhost-user.rst
/// "Front-end message types") fed a sequence of messages parsed from the input, with real descriptors from an
/// <see cref="FdPool"/>, so SET_MEM_TABLE maps real memory and started rings process real buffers. No socket carries
/// the requests: each goes straight into the connection's handler through its fuzzing seam.
/// <code>
/// input   := options:u8 record*
/// options := bit 0 MUST_TELL_HOST, 1 no stats queue, 2 SG, 3 deferred release, 4 per-page release,
///            5 no EVENT_IDX, 6 no INDIRECT_DESC, 7 SG on feature bit 3 (the device's offer, not the negotiation)
/// record  := 0x00-0x7F  message: n = op &amp; 0x0F descriptors, n pool selectors (u8 each), header (12 bytes),
///                       payload (header.size bytes). A cut header or payload, or a size above 268, ends the
///                       session as the socket would (end of stream, protocol violation)
///          | 0x80-0x8F  kick ring op &amp; 3 (as a readable kick eventfd)
///          | 0x90-0x9F  guest write: u32 offset (mod 4 MiB), u16 length (mod 4097), bytes → the RAM memfd
///          | 0xA0-0xAF  host sets the target: u32 pages
///          | 0xB0-0xBF  host asks for statistics (the held stats buffer is returned)
///          | 0xC0-0xCF  config change: u8 n, n bytes the front-end sends on the backend-request socket first
///                       (its answer), then the host's CONFIG_CHANGE_MSG (as the management API sends it)
///          | other      ignored
/// </code>
/// Findings: any exception out of the backend; a reply that is not exactly one well-formed reply to a request
/// that wants one (GET_* or NEED_REPLY) while the session goes on; a received descriptor still open or guest RAM
/// still mapped after the session ended.
/// The target keeps no state between inputs but the pool, which <see cref="FdPool.Reset"/> puts back.
/// </summary>
internal sealed class VhostUserTarget : IFuzzTarget, IDisposable
{
    /// <summary>Time-out for the backend's socket I/O: short, since nothing here ever blocks for long.</summary>
    public const int IoTimeoutMs = 5;

    private readonly FdPool _pool = new();
    private readonly List<ReplySink.Reply> _replies = [];

    public string Name => "vhost-user";

    /// <summary>What the last input did (for tests that check seeds reach deep).</summary>
    public VhostUserRunStats LastRun { get; private set; } = new();

    public void Run(ReadOnlySpan<byte> data)
    {
        _pool.Reset();
        var input = new FuzzInput(data);
        var device = new BalloonDevice(DeviceOptions(input.U8()), DiscardingLogger.Instance);
        var stats = new VhostUserRunStats();
        LastRun = stats;
        var (ours, theirs) = UnixSocket.CreatePair();
        var sink = new ReplySink(theirs.Fd);
        var connection = new BackendConnection(ours, device, DiscardingLogger.Instance, IoTimeoutMs, static (_, _) => { });
        try
        {
            while (!input.IsEmpty && stats.EndReason is null)
                Step(ref input, connection, device, sink, stats);
            stats.BalloonedPages = device.BalloonedPages;
        }
        finally
        {
            connection.EndForFuzzing();
            connection.Dispose();
        }
        try
        {
            _replies.Clear();
            if (sink.Collect(_replies))
                throw new InvariantViolationException("the connection's socket is still open after the session ended");
            if (_replies.Count > 0)
                throw new InvariantViolationException($"{_replies.Count} message(s) sent after the last request was handled");
            stats.Counters = device.Counters;
            _pool.CheckNoLeaks("after the session");
            // Reading /proc/self/maps costs more than most inputs: only when a memory table was handled.
            if (stats.MemoryTables > 0)
            {
                foreach (var name in new[] { _pool.RamName, _pool.SmallName })
                {
                    if (Mappings.Count(name) is var n and > 0)
                        throw new InvariantViolationException($"{n} mapping(s) of memfd {name} remain after the session ended");
                }
            }
        }
        finally
        {
            theirs.Dispose();
        }
    }

    private void Step(ref FuzzInput input, BackendConnection connection, BalloonDevice device, ReplySink sink, VhostUserRunStats stats)
    {
        var op = input.U8();
        switch (op >> 4)
        {
            case < 8:
                Message(ref input, op & 0x0F, connection, device, sink, stats);
                break;
            case 8:
                stats.Kicks++;
                connection.KickForFuzzing(op & 3);
                break;
            case 9:
                var offset = input.U32() % FdPool.RamBytes;
                var length = (int)Math.Min(input.U16() % 4097, FdPool.RamBytes - offset);
                Fds.WriteAt(_pool[FdPool.Ram], input.Take(length), offset);
                break;
            case 10:
                device.SetTargetPages(input.U32());
                break;
            case 11:
                device.RequestStatistics();
                break;
            case 12:
                var answer = input.Take(input.U8());
                unsafe
                {
                    fixed (byte* p = answer)
                        _ = Libc.send(_pool.SocketPeer, p, (nuint)answer.Length, Libc.MSG_DONTWAIT | Libc.MSG_NOSIGNAL);
                }
                connection.NotifyConfigChanged();
                break;
        }
    }

    private void Message(ref FuzzInput input, int fdCount, BackendConnection connection, BalloonDevice device, ReplySink sink, VhostUserRunStats stats)
    {
        var fds = new FdList();
        for (var i = 0; i < fdCount; i++)
            fds.Add(_pool.Select(input.U8()));
        if (!input.TryTake(MessageHeader.WireSize, out var head))
        {
            fds.Dispose();
            stats.EndReason = "end of input inside a header";
            return;
        }
        var header = MessageHeader.Read(head);
        if (header.PayloadSize > VhostUserMessage.MaxPayloadSize || !input.TryTake((int)header.PayloadSize, out var payload))
        {
            fds.Dispose();
            stats.EndReason = $"payload of {header.PayloadSize} bytes is too large or cut short";
            return;
        }
        stats.Messages++;
        if ((FrontendRequest)header.Request == FrontendRequest.SetMemTable)
            stats.MemoryTables++;
        var ended = connection.HandleForFuzzing(header, payload.ToArray(), fds);
        stats.EndReason = ended;
        _replies.Clear();
        sink.Collect(_replies);
        if (sink.PendingBytes > 0)
            throw new InvariantViolationException($"{sink.PendingBytes} bytes of an incomplete reply to {Describe(header)}");
        stats.Replies += _replies.Count;
        ReplyCheck.Check(header, fdCount, ended, _replies, device);
    }

    /// <summary>The device configuration an options byte selects (see the class comment).</summary>
    public static BalloonDeviceOptions DeviceOptions(byte bits)
    {
        var mustTellHost = (bits & 0x01) != 0;
        var perPage = (bits & 0x10) != 0;
        return new BalloonDeviceOptions
        {
            MustTellHost = mustTellHost,
            StatsQueue = (bits & 0x02) == 0,
            ScatterGather = (bits & 0x04) != 0,
            DeferRelease = (bits & 0x08) != 0 && mustTellHost && !perPage,
            Release = perPage ? ReleasePolicy.PerPage : ReleasePolicy.Coalesce,
            EventIdx = (bits & 0x20) == 0,
            IndirectDescriptors = (bits & 0x40) == 0,
            SgBit = (bits & 0x80) != 0 ? BalloonFeatures.FreePageHint : BalloonFeatures.DefaultSgBit,
        };
    }

    internal static string Describe(in MessageHeader header) =>
        Enum.IsDefined((FrontendRequest)header.Request) ? ((FrontendRequest)header.Request).ToString() : $"request {header.Request}";

    public void Dispose() => _pool.Dispose();
}
