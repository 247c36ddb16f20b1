using System.Globalization;
using System.Text;
using Ballast.Balloon.Device;

namespace Ballast.Daemon;

/// <summary>
/// The QEMU (≥ 10.2) command-line arguments that connect a guest to <c>ballast serve</c>: QEMU's generic
/// vhost-user device with virtio-id 5 (balloon), as many queues as the offered features imply (<c>num_vqs</c>: the most
/// a driver can use, <see cref="BalloonDevice.QueueCount"/>), the balloon config space (8 bytes, or 16 with page-poison
/// or page-reporting: <see cref="BalloonDevice.ConfigSize"/>), and guest RAM on a shared memfd (the daemon maps it and gives pages back) sealed against
/// shrinking (the daemon refuses it otherwise; seal=on is QEMU's default, spelled out).
/// </summary>
/// <remarks>
/// QEMU connects as the client, once, at start-up: the daemon must be listening first. No <c>reconnect-ms</c>:
/// with it QEMU 11.1.3 connects in the background and realizes the device before the connection is up ("Failed to
/// set msg fds"), and its generic vhost-user device (hw/virtio/vhost-user-base.c) aborts on a reconnect anyway
/// (<c>vhost_dev_start: Assertion `hdev->vhost_ops' failed</c>). The device is
/// <c>vhost-user-test-device-pci</c> on PCI machines and <c>vhost-user-test-device</c> on virtio-mmio ones, which
/// must also be told not to offer the legacy interface. QMP <c>balloon</c> does not reach this device:
/// the daemon's API is the balloon's only control. Nor does QEMU's discard inhibition
/// (<c>ram_block_discard_disable</c>, which VFIO and vhost-vdpa take because they pin guest RAM for DMA): QEMU does
/// not know this device discards, so the comment lines warn against combining them.
/// </remarks>
public static class QemuArguments
{
    /// <summary>The oldest QEMU these arguments are for.</summary>
    public const string MinimumQemuVersion = "10.2";

    /// <summary>The chardev id that ties <c>-chardev</c> to <c>-device</c>.</summary>
    public const string ChardevId = "ballast0";

    /// <summary>VIRTIO 1.2 §5 device ID of the memory balloon.</summary>
    public const int BalloonVirtioId = 5;

    /// <summary>The <c>-chardev</c> value for the vhost-user socket <paramref name="socketPath"/>.</summary>
    public static string Chardev(string socketPath)
    {
        ArgumentNullException.ThrowIfNull(socketPath);
        return $"socket,id={ChardevId},path={EscapeOptionValue(socketPath)}";
    }

    /// <summary>
    /// The <c>-device</c> value for a balloon with <paramref name="queueCount"/> queues (2, one more with stats, one more
    /// with page-reporting) and <paramref name="configSize"/> bytes of config space.
    /// </summary>
    public static string Device(int queueCount, bool pci, int configSize = BalloonDevice.BasicConfigSize) => string.Create(CultureInfo.InvariantCulture,
        $"vhost-user-test-device{(pci ? "-pci" : "")},chardev={ChardevId},virtio-id={BalloonVirtioId},num_vqs={queueCount},config_size={configSize}");

    /// <summary>
    /// The argument lines for <paramref name="socketPath"/>, <paramref name="queueCount"/> and
    /// <paramref name="configSize"/>, one option and its value per line, with <c>#</c> comments; <c>&lt;RAM&gt;</c> and
    /// <c>&lt;machine&gt;</c> are for the user to fill in.
    /// </summary>
    public static IReadOnlyList<string> Lines(string socketPath, int queueCount, int configSize = BalloonDevice.BasicConfigSize)
    {
        ArgumentNullException.ThrowIfNull(socketPath);
        ArgumentOutOfRangeException.ThrowIfLessThan(queueCount, 2);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(queueCount, 4);
        if (configSize is not (BalloonDevice.BasicConfigSize or BalloonDevice.FullConfigSize))
            throw new ArgumentOutOfRangeException(nameof(configSize), configSize, "the balloon's config space is 8 or 16 bytes");
        return
        [
            $"# QEMU >= {MinimumQemuVersion} arguments for this balloon; <RAM> is the guest's memory size (as in -m <RAM>),",
            "# <machine> its machine type. share=on is required: the daemon maps guest RAM to give ballooned pages back;",
            "# so is seal=on (the default): the daemon refuses guest RAM whose file could shrink under its mapping.",
            "# Not with devices that pin guest RAM for DMA (vfio-pci and other VFIO devices, vhost-vdpa): QEMU stops its own",
            "# balloon from discarding then, but cannot stop this one, and a page freed under a pin stays the device's.",
            "-object memory-backend-memfd,id=mem,size=<RAM>,share=on,seal=on",
            "-M <machine>,memory-backend=mem",
            "-chardev " + ShellQuote(Chardev(socketPath)),
            "# PCI machines (q35, pc):",
            "-device " + Device(queueCount, pci: true, configSize),
            "# virtio-mmio machines (microvm, virt) instead:",
            "-device " + Device(queueCount, pci: false, configSize),
            "-global virtio-mmio.force-legacy=false",
        ];
    }

    /// <summary>Writes <see cref="Lines"/> to <paramref name="writer"/>.</summary>
    public static void Write(TextWriter writer, string socketPath, int queueCount, int configSize = BalloonDevice.BasicConfigSize)
    {
        ArgumentNullException.ThrowIfNull(writer);
        foreach (var line in Lines(socketPath, queueCount, configSize))
            writer.WriteLine(line);
    }

    /// <summary>QEMU's option syntax: a comma inside a value is written twice.</summary>
    public static string EscapeOptionValue(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.Replace(",", ",,", StringComparison.Ordinal);
    }

    /// <summary><paramref name="argument"/> as one POSIX shell word: unchanged if it is plain, else single-quoted.</summary>
    public static string ShellQuote(string argument)
    {
        ArgumentNullException.ThrowIfNull(argument);
        if (argument.Length > 0 && argument.All(IsPlain))
            return argument;
        var quoted = new StringBuilder(argument.Length + 2).Append('\'');
        foreach (var c in argument)
            quoted.Append(c == '\'' ? "'\\''" : c.ToString());
        return quoted.Append('\'').ToString();
    }

    private static bool IsPlain(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '@' or '%' or '+' or '=' or ':' or ',' or '.' or '/' or '-';
}
