using System.Buffers.Binary;
using Ballast.Virtio.Memory;
using Ballast.VhostUser.Frontend;
using Ballast.VhostUser.Protocol;
using Ballast.VhostUser.Tests.Support;
using Ballast.VhostUser.Transport;

namespace Ballast.VhostUser.Tests.Frontend;

/// <summary>The frontend surfaces a back-end's refusals and protocol errors as <see cref="VhostUserException"/>.</summary>
public sealed class FrontendErrorTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("ballast-vu-fe-");
    private readonly GuestMemory _memory = GuestMemory.CreateMemfd(16UL << 20);

    private string SocketPath => Path.Combine(_dir.FullName, "fake.sock");

    [Fact]
    public void Refusal_WithReplyAck_Throws()
    {
        using var server = new ServerHarness();
        using var frontend = new VhostUserFrontend(server.SocketPath, _memory);

        var e = Assert.Throws<VhostUserException>(() => frontend.SendVringState(FrontendRequest.SetVringNum, 0, 100));

        Assert.Contains("SetVringNum", e.Message, StringComparison.Ordinal);
        Assert.Equal(server.Device.OfferedFeatures, frontend.DeviceFeatures); // the session goes on
    }

    [Fact]
    public void BackendWithoutConfig_IsRejected()
    {
        using var backend = FakeBackend((request, channel) =>
        {
            var value = request == FrontendRequest.GetFeatures ? 1UL << 30 : 0UL;
            channel.SendU64Reply((uint)request, value);
        });

        var e = Assert.Throws<VhostUserException>(() => new VhostUserFrontend(SocketPath, _memory));

        Assert.Contains("CONFIG", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReplyWithWrongFlags_IsRejected_LikeQemusEproto()
    {
        using var backend = FakeBackend((request, channel) =>
        {
            var payload = new byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(payload, 1UL << 30);
            channel.Send(new MessageHeader((uint)request, 0x1, 8), payload);
        });

        var e = Assert.Throws<VhostUserException>(() => new VhostUserFrontend(SocketPath, _memory));

        Assert.Contains("flags 0x1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BackendThatCloses_Throws()
    {
        using var backend = FakeBackend((_, channel) => channel.Socket.Shutdown());

        Assert.Throws<VhostUserException>(() => new VhostUserFrontend(SocketPath, _memory));
    }

    /// <summary>A one-connection back-end on its own thread that answers each request with <paramref name="answer"/>.</summary>
    private IDisposable FakeBackend(Action<FrontendRequest, MessageChannel> answer)
    {
        var listener = UnixSocket.Listen(SocketPath, 1);
        var thread = new Thread(() =>
        {
            if (listener.Wait(Ballast.Linux.Interop.Libc.POLLIN, 5000, null) != UnixSocket.WaitResult.Ready)
                return;
            using var channel = new MessageChannel(listener.Accept()!, 1000);
            try
            {
                while (channel.Receive(VhostUserMessage.MaxPayloadSize, 5000, null) is { } message)
                {
                    using (message)
                        answer((FrontendRequest)message.Header.Request, channel);
                }
            }
            catch (VhostUserException)
            {
                // The frontend gave up, as it should.
            }
        })
        { IsBackground = true };
        thread.Start();
        return new Stopper(listener, thread);
    }

    private sealed class Stopper(UnixSocket listener, Thread thread) : IDisposable
    {
        public void Dispose()
        {
            Assert.True(thread.Join(TimeSpan.FromSeconds(10)), "the fake back-end did not finish");
            listener.Dispose();
        }
    }

    public void Dispose()
    {
        _memory.Dispose();
        _dir.Delete(recursive: true);
    }
}
