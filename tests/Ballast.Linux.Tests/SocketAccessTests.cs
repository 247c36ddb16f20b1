
namespace Ballast.Linux.Tests;

/// <summary><see cref="SocketAccess.Allows"/>: who may connect, decided from the peer's credentials.</summary>
public sealed class SocketAccessTests
{
    private const uint Own = 1000;

    [Theory]
    [InlineData(1000u, 1000u, true)]   // the daemon's own user
    [InlineData(0u, 0u, true)]         // root
    [InlineData(1001u, 1001u, false)]  // anybody else
    public void OwnerOnly_AllowsTheDaemonsUserAndRoot(uint uid, uint gid, bool allowed) =>
        Assert.Equal(allowed, SocketAccess.OwnerOnly.Allows(new PeerCredentials(42, uid, gid), Own));

    [Fact]
    public void UnknownCredentials_AreRefused() => Assert.False(SocketAccess.OwnerOnly.Allows(null, Own));

    [Fact]
    public void User_IsAllowed_OthersAreNot()
    {
        var access = new SocketAccess { User = 107 };

        Assert.True(access.Allows(new PeerCredentials(1, 107, 107), Own));
        Assert.False(access.Allows(new PeerCredentials(1, 108, 107), Own));
        Assert.Equal(SocketAccess.OwnerReadWrite, access.Mode);
    }

    [Fact]
    public void Group_AllowsPrimaryAndSupplementaryMembers()
    {
        var access = new SocketAccess { Group = 36 };

        Assert.True(access.Allows(new PeerCredentials(1, 107, 36), Own));
        Assert.True(access.Allows(new PeerCredentials(1, 107, 107, [10, 36]), Own));
        Assert.False(access.Allows(new PeerCredentials(1, 107, 107, [10]), Own));
        Assert.Equal(SocketAccess.OwnerAndGroupReadWrite, access.Mode);
    }

    [Fact]
    public void Describe_NamesEveryoneAllowed()
    {
        Assert.Equal("uid 1000, uid 0", SocketAccess.OwnerOnly.Describe(Own));
        Assert.Equal("uid 0", SocketAccess.OwnerOnly.Describe(0));
        Assert.Equal("uid 0, uid 107, gid 36", new SocketAccess { User = 107, Group = 36 }.Describe(0));
    }
}
