using Ballast.Linux.Interop;
using Ballast.VhostUser.Backend;
using Ballast.VhostUser.Protocol;
using Ballast.VhostUser.Session;
using Ballast.VhostUser.Tests.Support;
using Ballast.VhostUser.Transport;

namespace Ballast.VhostUser.Tests.Session;

/// <summary>
/// A worker killed around a reply (BackendConnection.Replies.cs): the next process, resuming from the record, sends a
/// reply the front-end still waits for exactly once, and never one it already has. Each case builds the record a killed
/// process leaves at one step and the socket as QEMU would have it then, resumes, and checks what the front-end reads.
/// </summary>
public sealed class OwedReplyTests : IDisposable
{
    private const ulong Owed = 7;
    private readonly UnixSocket _ours;
    private readonly RawClient _qemu;
    private readonly DummyDevice _device = new();
    private readonly TestLoggerFactory _logs = new();
    private readonly SessionRecord _record = SessionRecord.Create();
    private BackendConnection? _connection;
    private int _configWrites;

    public OwedReplyTests()
    {
        (_ours, var theirs) = UnixSocket.CreatePair();
        _qemu = new RawClient(theirs);
        _device.ConfigChanged += () => Interlocked.Increment(ref _configWrites);
    }

    /// <summary>SET_CONFIG of the 4-byte config with NEED_REPLY, as the stock driver's write of <c>actual</c> arrives.</summary>
    private static byte[] SetConfigPayload(byte value)
    {
        var payload = new byte[ConfigSpace.WireSize(4)];
        new ConfigSpace(0, 4, ConfigSpace.FlagFrontend).Write(payload);
        payload.AsSpan(ConfigSpace.PayloadOffset).Fill(value);
        return payload;
    }

    private static MessageHeader SetConfigHeader(byte[] payload) => new((uint)FrontendRequest.SetConfig, RawClient.NeedReply, (uint)payload.Length);

    private static byte[] AckFor(FrontendRequest request)
    {
        var reply = new byte[MessageHeader.WireSize + 8];
        MessageHeader.ForReply((uint)request, 8).Write(reply);
        return reply;
    }

    /// <summary>The record a process killed after keeping SET_CONFIG's effect leaves: the ack owed, the mark at <paramref name="replied"/>.</summary>
    private void LeaveRecord(byte[] request, ulong replied)
    {
        var owed = new OwedReply(Owed, OwedReply.Digest(SetConfigHeader(request), request), AckFor(FrontendRequest.SetConfig));
        _record.Save(new SessionSnapshot(ProtocolFeatures.BackendOffered, null, [], false, new RingSnapshot[_device.QueueCount], owed));
        if (replied > 0)
            _record.MarkReplied(replied);
    }

    /// <summary>The next process: opens its own copy of the record, resumes and starts serving.</summary>
    private void Resume()
    {
        var record = SessionRecord.Open(Libc.dup(_record.Fd), out var snapshot, out var error);
        Assert.Null(error);
        _connection = new BackendConnection(_ours, _device, _logs.CreateLogger("test"), 2000, static (_, _) => { });
        _connection.KeepIn(new SessionKeeper(NoStore.Instance, record), save: false);
        Assert.Null(_connection.Resume(snapshot!, new ResumeSet()));
        _connection.Start();
    }

    private ulong RepliedMark()
    {
        using var copy = SessionRecord.Open(Libc.dup(_record.Fd), out _, out _);
        return copy.Replied;
    }

    /// <summary>The mark is written just after the reply goes out, so the client may read the reply first: wait for it.</summary>
    private void AssertMarkReaches(ulong sequence) =>
        Wait.Until(() => RepliedMark() == sequence, $"the record's replied mark is {RepliedMark()}, not {sequence}");

    [Fact]
    public void OwedReply_RequestAlreadyTakenOff_IsSentOnce()
    {
        var request = SetConfigPayload(1);
        LeaveRecord(request, replied: Owed - 1);

        Resume();

        Assert.Equal(0ul, _qemu.ReceiveAck(FrontendRequest.SetConfig));
        _qemu.GetFeatures(); // the next reply answers the next request: nothing stray in between
        AssertMarkReaches(Owed + 1);
        Assert.True(_logs.Has(143));
        Assert.Equal(0, _configWrites);
    }

    [Fact]
    public void OwedReply_RequestStillOnTheSocket_IsTakenOffAndAnsweredOnce_NotHandledAgain()
    {
        var request = SetConfigPayload(2);
        LeaveRecord(request, replied: Owed - 1);
        _qemu.Send(FrontendRequest.SetConfig, RawClient.NeedReply, request);

        Resume();

        Assert.Equal(0ul, _qemu.ReceiveAck(FrontendRequest.SetConfig));
        _qemu.GetFeatures();
        AssertMarkReaches(Owed + 1);
        Assert.True(_logs.Has(144));
        Assert.Equal(0, _configWrites);
    }

    [Fact]
    public void OwedReply_FrontEndAlreadySentItsNextRequest_IsNotSentAgain()
    {
        LeaveRecord(SetConfigPayload(3), replied: Owed - 1);
        _qemu.Send(FrontendRequest.GetFeatures, RawClient.NoReply, []);

        Resume();

        _qemu.ReceiveReply(FrontendRequest.GetFeatures); // its own reply comes first: the owed ack is not sent again
        _qemu.GetFeatures();
        AssertMarkReaches(Owed + 2); // the two GET_FEATURES replies follow the owed one's number
        Assert.True(_logs.Has(145));
    }

    [Fact]
    public void OwedReply_MarkedSent_IsNotSentAgain()
    {
        LeaveRecord(SetConfigPayload(4), replied: Owed);

        Resume();

        _qemu.GetFeatures();
        Assert.False(_logs.Has(143) || _logs.Has(144) || _logs.Has(145));
    }

    [Fact]
    public void NeedReplyRequest_InAKeptSession_IsRecordedOwedThenMarkedSent()
    {
        _connection = new BackendConnection(_ours, _device, _logs.CreateLogger("test"), 2000, static (_, _) => { });
        var record = SessionRecord.Open(Libc.dup(_record.Fd), out _, out _);
        _connection.KeepIn(new SessionKeeper(NoStore.Instance, record));
        _connection.Start();

        _qemu.Send(FrontendRequest.SetConfig, RawClient.NeedReply, SetConfigPayload(5));
        Assert.Equal(0ul, _qemu.ReceiveAck(FrontendRequest.SetConfig));
        _qemu.GetFeatures();

        // Two replies so far (the ack, then GET_FEATURES'), each owed in the record and marked sent once it went out.
        AssertMarkReaches(2);
        using var copy = SessionRecord.Open(Libc.dup(_record.Fd), out var snapshot, out var error);
        Assert.Null(error);
        Assert.Equal(2ul, snapshot!.Owed!.Sequence);
        Assert.Equal(1, _configWrites);
    }

    public void Dispose()
    {
        if (_connection is not null)
        {
            _connection.Stop();
            Assert.True(_connection.Join(TimeSpan.FromSeconds(10)), "the connection did not stop");
            _connection.Dispose();
        }
        else
            _ours.Dispose();
        _qemu.Dispose();
        _record.Dispose();
        _logs.Dispose();
    }
}
