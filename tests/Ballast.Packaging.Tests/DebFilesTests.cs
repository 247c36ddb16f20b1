using System.Text.Json;
using Ballast.Packaging.Tests.Support;

namespace Ballast.Packaging.Tests;

/// <summary>
/// The .deb puts every file where its users look: the daemon on PATH, the descriptor where QEMU's management tools
/// search (/usr/share/qemu/vhost-user), the units where systemd finds them, the man page and the Debian docs; and the
/// programs the descriptor and the service name exist and are executable.
/// </summary>
[Collection(DebCollection.Name)]
public sealed class DebFilesTests(DebPackage deb)
{
    private static readonly string[] Expected =
    [
        "/usr/bin/ballastd",
        "/usr/libexec/ballast-balloon",
        "/usr/share/qemu/vhost-user/50-ballast-balloon.json",
        "/usr/lib/systemd/system/ballast-balloon@.service",
        "/usr/lib/systemd/system/ballast-balloon@.socket",
        "/usr/share/man/man1/ballastd.1.gz",
        "/usr/share/man/man1/ballast-balloon.1.gz",
        "/usr/share/doc/ballastd/copyright",
        "/usr/share/doc/ballastd/changelog.gz",
    ];

    [RootFact]
    public void Deb_Install_PutsEveryFileWhereItsUsersLook()
    {
        using var root = deb.InstallFresh();

        var listed = root.Run("dpkg", "-L", "ballastd");

        Assert.True(listed.Succeeded, listed.Describe());
        var files = listed.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(p => File.Exists(root.HostPath(p))).Order(StringComparer.Ordinal);
        Assert.Equal(Expected.Order(StringComparer.Ordinal), files);
        foreach (var executable in new[] { "/usr/bin/ballastd", "/usr/libexec/ballast-balloon" })
            Assert.True(IsExecutable(root.HostPath(executable)), $"{executable} is not executable");

        using var descriptor = JsonDocument.Parse(File.ReadAllText(root.HostPath("/usr/share/qemu/vhost-user/50-ballast-balloon.json")));
        Assert.Equal("balloon", descriptor.RootElement.GetProperty("type").GetString());
        var binary = descriptor.RootElement.GetProperty("binary").GetString()!;
        Assert.True(IsExecutable(root.HostPath(binary)), $"the descriptor's binary {binary} is not an installed executable");

        var service = File.ReadAllLines(root.HostPath("/usr/lib/systemd/system/ballast-balloon@.service"));
        var execStart = service.Single(l => l.StartsWith("ExecStart=", StringComparison.Ordinal))["ExecStart=".Length..].TrimStart('-', '@', '+', '!', ':');
        var program = execStart.Split(' ', 2)[0];
        Assert.True(IsExecutable(root.HostPath(program)), $"the service's ExecStart program {program} is not an installed executable");
        var socket = File.ReadAllText(root.HostPath("/usr/lib/systemd/system/ballast-balloon@.socket"));
        Assert.Contains("ListenStream=", socket, StringComparison.Ordinal);
    }

    private static bool IsExecutable(string path) =>
        File.Exists(path) && !OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & UnixFileMode.OtherExecute) != 0;
}
