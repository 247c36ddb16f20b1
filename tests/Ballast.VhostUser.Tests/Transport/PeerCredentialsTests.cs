using Ballast.Linux;
using System.Net.Sockets;
using Ballast.VhostUser.Transport;

namespace Ballast.VhostUser.Tests.Transport;

/// <summary><see cref="PeerCredentials"/>: what the kernel recorded about the process at the other end.</summary>
public sealed class PeerCredentialsTests
{
    [Fact]
    public void Read_OfASocketPair_IsThisProcess()
    {
        var (a, b) = UnixSocket.CreatePair();
        using (a)
        using (b)
        {
            var peer = b.PeerCredentials(out var errno);

            Assert.Equal(0, errno);
            Assert.NotNull(peer);
            Assert.Equal(Environment.ProcessId, peer.ProcessId);
            Assert.Equal(UnixSocketFile.EffectiveUserId, peer.UserId);
        }
    }

    [Fact]
    public void Read_OfADotNetSocket_IsThisProcess()
    {
        var directory = Directory.CreateTempSubdirectory("ballast-peer-");
        try
        {
            var path = Path.Combine(directory.FullName, "s.sock");
            using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(path));
            listener.Listen(1);
            using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            client.Connect(new UnixDomainSocketEndPoint(path));
            using var accepted = listener.Accept();

            var peer = PeerCredentials.Read(accepted);

            Assert.NotNull(peer);
            Assert.Equal(Environment.ProcessId, peer.ProcessId);
            Assert.Equal(UnixSocketFile.EffectiveUserId, peer.UserId);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void Read_OfASocketThatIsNotConnected_IsNull()
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);

        // An unconnected AF_UNIX socket has no peer: Linux reports pid 0 and the overflow ids, or an error.
        var peer = PeerCredentials.Read(socket);

        Assert.True(peer is null || peer.ProcessId == 0);
    }
}
