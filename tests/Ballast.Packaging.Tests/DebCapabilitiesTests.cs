using System.Text.Json;
using Ballast.Packaging.Tests.Support;

namespace Ballast.Packaging.Tests;

/// <summary>
/// QEMU's backend program conventions, as a management tool meets them after installing the .deb: the descriptor's
/// "binary" answers --print-capabilities with a balloon's capabilities, and so does `ballastd serve`.
/// </summary>
[Collection(DebCollection.Name)]
public sealed class DebCapabilitiesTests(DebPackage deb)
{
    [RootFact]
    public void Deb_DescriptorBinaryAndServe_PrintBalloonCapabilities()
    {
        using var root = deb.InstallFresh();
        using var descriptor = JsonDocument.Parse(File.ReadAllText(root.HostPath("/usr/share/qemu/vhost-user/50-ballast-balloon.json")));
        var binary = descriptor.RootElement.GetProperty("binary").GetString()!;

        foreach (var command in new[] { new[] { binary, "--print-capabilities" }, ["ballastd", "serve", "--print-capabilities"] })
        {
            var run = root.Run(command);

            Assert.True(run.Succeeded, run.Describe());
            using var capabilities = JsonDocument.Parse(run.Output);
            Assert.Equal("balloon", capabilities.RootElement.GetProperty("type").GetString());
            Assert.Equal(JsonValueKind.Array, capabilities.RootElement.GetProperty("features").ValueKind);
        }
    }
}
