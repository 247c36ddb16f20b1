using Ballast.Linux;
using System.Runtime.Versioning;
using Ballast.VhostUser.Tests.Support;

namespace Ballast.VhostUser.Tests.Backend;

/// <summary>
/// Who may become the front-end: the socket file is created 0600 (no moment with a wider mode while it listens),
/// and every accepted peer's credentials (SO_PEERCRED) are checked against the allow-list.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class SocketPermissionTests
{
    private const UnixFileMode OwnerReadWrite = SocketAccess.OwnerReadWrite;

    [Fact]
    public void SocketFile_IsMode0600()
    {
        using var server = new ServerHarness();

        Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(server.SocketPath));
        Assert.True(server.Logs.Has(100));
    }

    [OtherUserFact]
    public void OtherUser_IsKeptOutByTheFileMode()
    {
        using var server = new ServerHarness();

        Assert.Equal("denied", OtherUserClient.Connect(server.SocketPath));
    }

    [OtherUserFact]
    public void PeerOfAnotherUser_IsRefusedAndLogged_EvenWhenTheFileModeLetsItIn()
    {
        using var server = new ServerHarness();
        // As if the file's mode had been widened by hand: the peer check must still keep the other user out.
        File.SetUnixFileMode(server.SocketPath, OwnerReadWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite
            | UnixFileMode.OtherRead | UnixFileMode.OtherWrite);

        Assert.Equal("closed", OtherUserClient.Connect(server.SocketPath));
        Assert.Contains(server.Logs.Entries, e => e.EventId == 108 && e.Message.Contains($"uid {OtherUserClient.Nobody}", StringComparison.Ordinal));
        Assert.False(server.Server.IsConnected);

        // The refusal did not take the front-end's place.
        using var client = new RawClient(server.SocketPath);
        Assert.Equal(server.Device.OfferedFeatures | (1UL << 30), client.GetFeatures());
    }

    [OtherUserFact]
    public void AllowedGroup_GetsTheSocketFile0660_AndIsServed()
    {
        using var server = new ServerHarness(access: new SocketAccess { Group = OtherUserClient.Nobody });

        Assert.Equal(SocketAccess.OwnerAndGroupReadWrite, File.GetUnixFileMode(server.SocketPath));
        Assert.Equal("answered", OtherUserClient.Connect(server.SocketPath));
        Assert.False(server.Logs.Has(108));
    }

    [OtherUserFact]
    public void AllowedUser_GetsTheSocketFile_AndIsServed()
    {
        using var server = new ServerHarness(access: new SocketAccess { User = OtherUserClient.Nobody });

        Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(server.SocketPath));
        Assert.Equal("answered", OtherUserClient.Connect(server.SocketPath));
    }

    [OtherUserFact]
    public void MemberOfAnotherGroup_IsRefused_EvenWhenTheFileModeLetsItIn()
    {
        // The group allowed is root's; the client runs as nobody:nogroup.
        using var server = new ServerHarness(access: new SocketAccess { Group = 0 });
        File.SetUnixFileMode(server.SocketPath, SocketAccess.OwnerAndGroupReadWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite);

        Assert.Equal("closed", OtherUserClient.Connect(server.SocketPath));
        Assert.True(server.Logs.Has(108));
    }
}
