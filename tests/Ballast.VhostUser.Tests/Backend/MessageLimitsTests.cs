using System.Diagnostics;
using Ballast.VhostUser.Protocol;
using Ballast.VhostUser.Tests.Support;
using Ballast.VhostUser.Transport;

namespace Ballast.VhostUser.Tests.Backend;

/// <summary>
/// Limits that hold for a whole message, however the front-end splits it into pieces: at most
/// <see cref="VhostUserMessage.MaxFds"/> descriptors, and the io time-out from its first byte to its last.
/// </summary>
public sealed class MessageLimitsTests
{
    [Fact]
    public void DescriptorsSpreadOverPieces_AreRefused_AndEveryOneIsClosed()
    {
        using var server = new ServerHarness(ioTimeoutMs: 2000);
        using var context = new CaseContext();
        var pipe = context.Pipe();
        using var client = new RawClient(server.SocketPath);
        // SET_MEM_TABLE of one region: its 40-byte payload sent one byte at a time, each byte with 8 descriptors —
        // within what one recvmsg has room for, but 320 for the message.
        var payload = new byte[MemoryTable.WireSize(1)];
        var header = new byte[MessageHeader.WireSize];
        new MessageHeader((uint)FrontendRequest.SetMemTable, RawClient.NeedReply, (uint)payload.Length).Write(header);
        client.Socket.Send(header, [], 1000);
        var fds = Enumerable.Repeat(pipe, VhostUserMessage.MaxFds).ToArray();
        for (var i = 0; i < payload.Length; i++)
        {
            try
            {
                client.Socket.Send(payload.AsSpan(i, 1), fds, 1000);
            }
            catch (VhostUserException)
            {
                break; // the server hung up
            }
        }

        Assert.True(client.WaitClosed(), "the server took the message instead of dropping the front-end");
        Assert.Contains(server.Logs.Entries, e => e.EventId == 113 && e.Message.Contains("descriptors", StringComparison.Ordinal));
        context.AssertServerClosedEveryDescriptor();
        server.WaitDisconnected();
    }

    [Fact]
    public void MessageTrickledInTime_PieceByPiece_IsGivenUpAfterTheIoTimeout()
    {
        const int timeoutMs = 400;
        using var server = new ServerHarness(ioTimeoutMs: timeoutMs);
        using var client = new RawClient(server.SocketPath);
        // SET_CONFIG with the largest payload: 284 bytes, one every timeout/3 — every piece in time, the message not.
        var message = new byte[MessageHeader.WireSize + VhostUserMessage.MaxPayloadSize];
        new MessageHeader((uint)FrontendRequest.SetConfig, RawClient.NeedReply, VhostUserMessage.MaxPayloadSize).Write(message);

        var clock = Stopwatch.StartNew();
        TimeSpan? gaveUp = null;
        for (var i = 0; i < message.Length && clock.ElapsedMilliseconds < 10 * timeoutMs; i++)
        {
            if (client.Socket.Wait(Ballast.Linux.Interop.Libc.POLLIN, 0, null) == UnixSocket.WaitResult.Ready)
            {
                gaveUp = clock.Elapsed; // EOF: the server hung up
                break;
            }
            try
            {
                client.Socket.Send(message.AsSpan(i, 1), [], 1000);
            }
            catch (VhostUserException)
            {
                gaveUp = clock.Elapsed;
                break;
            }
            Thread.Sleep(timeoutMs / 3);
        }

        Assert.True(gaveUp is not null, $"the server still waited for the message after {clock.ElapsedMilliseconds} ms ({timeoutMs} ms io time-out)");
        Assert.True(gaveUp < TimeSpan.FromMilliseconds(5 * timeoutMs), $"the server gave up only after {gaveUp!.Value.TotalMilliseconds} ms");
        Assert.True(client.WaitClosed());
        Assert.Contains(server.Logs.Entries, e => e.EventId == 113);
        server.WaitDisconnected();
    }
}
