using System.Diagnostics;
using System.Runtime.Versioning;

namespace Ballast.VhostUser.Tests.Support;

/// <summary>
/// A vhost-user client in another process, running as another user and group (setpriv, no supplementary
/// groups): connects, sends GET_FEATURES and says what happened — "answered", "closed" (the server hung up),
/// "denied" (connect(2) failed with EACCES: the socket file's mode kept it out) or "timeout".
/// </summary>
internal static class OtherUserClient
{
    /// <summary>nobody/nogroup on Debian.</summary>
    public const uint Nobody = 65534;

    private const string Setpriv = "/usr/bin/setpriv";
    private const string Python = "/usr/bin/python3";

    private const string Script = """
        import socket, struct, sys
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        try:
            s.connect(sys.argv[1])
        except PermissionError:
            print("denied"); sys.exit(0)
        try:
            s.sendall(struct.pack("<III", 1, 1, 0))  # GET_FEATURES, version 1, no payload
            print("answered" if s.recv(64) else "closed")
        except (ConnectionResetError, BrokenPipeError):
            print("closed")
        except socket.timeout:
            print("timeout")
        """;

    public static bool Available => Environment.UserName == "root" && File.Exists(Setpriv) && File.Exists(Python);

    /// <summary>Runs the client as <paramref name="uid"/>:<paramref name="gid"/> against <paramref name="socketPath"/>.</summary>
    [SupportedOSPlatform("linux")]
    public static string Connect(string socketPath, uint uid = Nobody, uint gid = Nobody)
    {
        // The client must be able to reach the socket: the test's temporary directory is 0700.
        var directory = Path.GetDirectoryName(socketPath)!;
        File.SetUnixFileMode(directory, File.GetUnixFileMode(directory) | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        var start = new ProcessStartInfo(Setpriv)
        {
            ArgumentList = { $"--reuid={uid}", $"--regid={gid}", "--clear-groups", Python, "-c", Script, socketPath },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            process.Kill();
            Assert.Fail("the client as another user did not finish within 30 s");
        }
        Assert.True(process.ExitCode == 0, $"the client failed: {stderr.Result}");
        return stdout.Result.Trim();
    }
}
