using System.Diagnostics;
using System.Xml.Linq;
using Ballast.Balloon.Device;
using Ballast.TestKit;

namespace Ballast.Daemon.Tests;

/// <summary>
/// docs/libvirt-domain.xml: valid against libvirt's own domain schema (virt-xml-validate, installed by
/// docs/check-libvirt-xml.sh), and its passthrough arguments are the ones <c>ballast serve</c> prints by default.
/// </summary>
public class LibvirtDomainXmlTests
{
    private static readonly string s_domain = RepositoryRoot.File("docs/libvirt-domain.xml");
    private static readonly XNamespace s_qemu = "http://libvirt.org/schemas/domain/qemu/1.0";

    [Fact]
    public async Task Example_ValidatesAgainstLibvirtsDomainSchema()
    {
        var (exitCode, output) = await CheckAsync(s_domain);

        Assert.True(exitCode == 0, output);
        Assert.Contains("validates", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validator_RefusesADomainLibvirtWouldRefuse()
    {
        using var directory = new TempDirectory();
        var broken = directory.File("broken.xml");
        await File.WriteAllTextAsync(broken, (await File.ReadAllTextAsync(s_domain)).Replace("model='none'", "model='ballast'", StringComparison.Ordinal));

        var (exitCode, output) = await CheckAsync(broken);

        Assert.True(exitCode != 0, output);
    }

    [Fact]
    public void PassthroughArguments_AreWhatServePrintsForItsDefaultFeatures()
    {
        var domain = XDocument.Load(s_domain);
        var args = domain.Root!.Element(s_qemu + "commandline")!.Elements(s_qemu + "arg").Select(arg => (string)arg.Attribute("value")!).ToList();
        var device = new BalloonDevice(ServeFeatureList.ToDeviceOptions(ServeFeatureList.Default, BalloonFeatures.DefaultSgBit, ReleasePolicy.Coalesce));

        Assert.Equal(
            ["-chardev", QemuArguments.Chardev("/run/ballast/guest1.sock"), "-device", QemuArguments.Device(device.QueueCount, pci: true, device.ConfigSize)],
            args);
    }

    [Fact]
    public void Domain_HasNoQemuBalloon_AndSharedMemfdMemory()
    {
        var devices = XDocument.Load(s_domain).Root!;

        Assert.Equal("none", (string?)devices.Element("devices")!.Element("memballoon")!.Attribute("model"));
        Assert.Equal("memfd", (string?)devices.Element("memoryBacking")!.Element("source")!.Attribute("type"));
        Assert.Equal("shared", (string?)devices.Element("memoryBacking")!.Element("access")!.Attribute("mode"));
    }

    private static async Task<(int ExitCode, string Output)> CheckAsync(string file)
    {
        var start = new ProcessStartInfo("bash", [RepositoryRoot.File("docs/check-libvirt-xml.sh"), file])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        // apt may have to install libvirt-clients first.
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(10));
        return (process.ExitCode, await stdout + await stderr);
    }
}
