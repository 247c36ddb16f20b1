using Ballast.Balloon.Device;
using Ballast.VhostUser.Tests.Support;

namespace Ballast.VhostUser.Tests.Frontend;

/// <summary>A new target reaches the front-end as VHOST_USER_BACKEND_CONFIG_CHANGE_MSG, and the guest reads it.</summary>
public sealed class ConfigChangeTests
{
    [Fact]
    public void SetTargetPages_SendsConfigChange_AndReadConfigShowsTheTarget()
    {
        using var h = new GuestHarness();
        using var changed = new ManualResetEventSlim();
        uint seenInHandler = 0;
        h.Frontend.ConfigChanged += () =>
        {
            // As QEMU does: the config interrupt makes the guest read the config, over the main socket, while the
            // back-end still waits for this notification's reply.
            seenInHandler = h.Driver.ReadTarget();
            changed.Set();
        };

        h.Device.SetTargetPages(4096);

        Assert.True(changed.Wait(TimeSpan.FromSeconds(5)), "no CONFIG_CHANGE_MSG arrived");
        Assert.Equal(4096u, seenInHandler);
        Assert.Equal(1, h.Frontend.ConfigChangeCount);
        Assert.Equal(4096u, h.Driver.ReadTarget());
    }

    [Fact]
    public void SetConfig_TakesOnlyActual_NeverTheStaleTarget()
    {
        using var h = new GuestHarness();
        h.Device.SetTargetPages(100);
        Span<byte> config = stackalloc byte[8];
        h.Frontend.ReadConfig(0, config);
        h.Device.SetTargetPages(200);

        // The guest writes the whole config back with its stale num_pages, as QEMU's SET_CONFIG does.
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(config[4..], 42);
        h.Frontend.WriteConfig(0, config);

        Assert.Equal(200u, h.Device.NumPages);
        Assert.Equal(42u, h.Device.Actual);
    }

    [Fact]
    public void SameTarget_SendsNothing()
    {
        using var h = new GuestHarness();
        h.Device.SetTargetPages(10);
        Wait.Until(() => h.Frontend.ConfigChangeCount == 1, "first change not seen");

        h.Device.SetTargetPages(10);
        // The harness negotiates REPLY_ACK, so SetTargetPages returns only once the front-end has counted (and
        // answered) its notification: a notification for the repeat would already be in the count, no sleep needed.
        h.Device.SetTargetPages(11);

        Assert.Equal(2, h.Frontend.ConfigChangeCount);
    }

    [Fact]
    public void SetTargetPages_WithoutFrontend_KeepsTheTarget()
    {
        using var server = new ServerHarness(new BalloonDeviceOptions());

        server.Device.SetTargetPages(77);

        Assert.Equal(77u, server.Device.NumPages);
    }
}
