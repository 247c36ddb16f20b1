using Ballast.VhostUser.Tests.Support;

namespace Ballast.VhostUser.Tests.Backend;

/// <summary>One front-end at a time: a second one is closed with a log line and the first keeps working.</summary>
public sealed class SecondClientTests
{
    [Fact]
    public void SecondClient_IsRefused_FirstKeepsWorking()
    {
        using var server = new ServerHarness();
        using var first = new RawClient(server.SocketPath);
        first.GetFeatures();

        using var second = new RawClient(server.SocketPath);

        Assert.True(second.WaitClosed(), "the second client was not closed");
        Assert.True(server.Logs.Has(102));
        Assert.Equal(server.Device.OfferedFeatures | (1UL << 30), first.GetFeatures());
        Assert.True(server.Server.IsConnected);
    }
}
