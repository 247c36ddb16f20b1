using Ballast.VhostUser.Frontend;
using Ballast.VhostUser.Protocol;
using Ballast.VhostUser.Tests.Support;

namespace Ballast.VhostUser.Tests.Backend;

/// <summary>
/// A hostile front-end: every malformed message gets an error reply (when it asked for one) or a logged
/// disconnect; descriptors that came with it are closed; the server serves the next front-end; RunAsync never
/// faults and nothing is logged as an unexpected exception.
/// </summary>
public sealed class MalformedMessageTests
{
    public static TheoryData<string> Cases => new(MalformedCases.All.Keys);

    [Theory]
    [MemberData(nameof(Cases))]
    public void MalformedMessage_IsRefusedAndTheServerGoesOn(string name)
    {
        var c = MalformedCases.All[name];
        using var server = new ServerHarness(ioTimeoutMs: 300);
        using var context = new CaseContext();

        using (var client = new RawClient(server.SocketPath))
        {
            Prepare(client, context, c.Preparation);
            c.Send(client, context);
            switch (c.Expected)
            {
                case MalformedCase.Expect.ErrorReply:
                    Assert.NotEqual(0UL, client.ReceiveAck(c.Request));
                    Assert.Equal(server.Device.OfferedFeatures | (1UL << 30), client.GetFeatures());
                    Assert.True(server.Logs.Has(111), "the refusal was not logged");
                    break;
                case MalformedCase.Expect.EmptyConfigReply:
                    Assert.Empty(client.ReceiveReply(FrontendRequest.GetConfig));
                    Assert.True(server.Logs.Has(114), "the refusal was not logged");
                    Assert.Equal(server.Device.OfferedFeatures | (1UL << 30), client.GetFeatures());
                    break;
                default:
                    Assert.True(client.WaitClosed(), "the server did not drop the front-end");
                    Assert.True(server.Logs.Has(112) || server.Logs.Has(113), "the disconnect was not logged with its reason");
                    break;
            }
            context.AssertServerClosedEveryDescriptor();
        }

        server.WaitDisconnected();
        using (var frontend = new VhostUserFrontend(server.SocketPath, context.Memory))
            Assert.Equal(server.Device.OfferedFeatures, frontend.DeviceFeatures);
        server.StopAndAssertClean();
        Assert.DoesNotContain(server.Logs.Entries, e => e.Exception is not null);
    }

    private static void Prepare(RawClient client, CaseContext context, MalformedCase.Setup setup)
    {
        if (setup == MalformedCase.Setup.None)
            return;
        client.SetMemTable(context.Memory);
        if (setup == MalformedCase.Setup.MemoryAndQueueSize)
        {
            client.SendState(FrontendRequest.SetVringNum, RawClient.NeedReply, 0, 256);
            Assert.Equal(0UL, client.ReceiveAck(FrontendRequest.SetVringNum));
        }
    }
}
