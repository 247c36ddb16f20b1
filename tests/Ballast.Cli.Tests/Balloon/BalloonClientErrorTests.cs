using System.Net.Sockets;
using System.Text;
using Ballast.Cli.Tests.Infrastructure;
using Ballast.Daemon;
using Ballast.Daemon.Client;
using Ballast.TestKit;

namespace Ballast.Cli.Tests.Balloon;

/// <summary>
/// <c>ballast balloon</c> against something that is not a running API: one line on standard error saying what is
/// there (no socket, not a socket, nothing listening, not HTTP, a connection closed unanswered), exit code 1.
/// </summary>
public class BalloonClientErrorTests
{
    private static readonly TimeSpan s_hangGuard = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task NoSuchSocket_SaysSo()
    {
        using var directory = new TempDirectory();
        var path = directory.File("gone.api");

        var result = await BallastCli.RunAsync("balloon", "get", "--api", path);

        AssertOneLineError(result, $"ballast balloon get: no Ballast API at {path}: no such socket");
    }

    [Fact]
    public async Task PlainFile_IsNotASocket()
    {
        using var directory = new TempDirectory();
        var path = directory.File("file.api");
        await File.WriteAllTextAsync(path, "not a socket");

        var result = await BallastCli.RunAsync("balloon", "get", "--api", path);

        AssertOneLineError(result, $"no Ballast API at {path}: it is not a socket");
    }

    [Fact]
    public async Task SocketNobodyListensOn_SaysNothingListens()
    {
        using var directory = new TempDirectory();
        var path = directory.File("stale.api");
        using var bound = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        bound.Bind(new UnixDomainSocketEndPoint(path));

        var result = await BallastCli.RunAsync("balloon", "get", "--api", path);

        AssertOneLineError(result, $"no Ballast API at {path}: nothing listens on that socket");
    }

    [Fact]
    public async Task ServerThatAnswersGarbage_IsNotABallastApi()
    {
        using var directory = new TempDirectory();
        var path = directory.File("garbage.api");
        using var server = new ScriptedServer(path, answer: "SSH-2.0-OpenSSH_9.2\r\nProtocol mismatch.\r\n");

        var result = await BallastCli.RunAsync("balloon", "get", "--api", path).WaitAsync(s_hangGuard);

        AssertOneLineError(result, $"{path} is not a Ballast API: it answered with something that is not HTTP/1.1");
    }

    [Theory]
    [InlineData("get")]
    [InlineData("set", "--target", "4K")]
    [InlineData("stats")]
    public async Task ServerThatAcceptsAndCloses_SaysNoAnswer(string command, params string[] options)
    {
        using var directory = new TempDirectory();
        var path = directory.File("closing.api");
        using var server = new ScriptedServer(path, answer: null);

        var result = await BallastCli.RunAsync(["balloon", command, "--api", path, .. options]).WaitAsync(s_hangGuard);

        AssertOneLineError(result, $"ballast balloon {command}: no answer from {path}: the connection was closed without one");
    }

    [Fact]
    public void PermissionDenied_SaysWhoMayUseTheApi()
    {
        // Root (as the tests run) passes every permission check, so connect(2)'s EACCES is built here.
        var message = ApiConnectionError.DescribeConnect("/run/ballast/vm.api", new SocketException((int)SocketError.AccessDenied));

        Assert.Equal("permission denied on /run/ballast/vm.api: the API is only for the user running 'ballast serve' and root", message);
    }

    private static void AssertOneLineError(CliResult result, string expected)
    {
        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        Assert.Equal("", result.StdOut);
        Assert.Contains(expected, result.StdErr, StringComparison.Ordinal);
        Assert.Single(result.StdErr.TrimEnd('\n').Split('\n'));
    }

    /// <summary>A Unix socket server that reads each request and writes <c>answer</c> (or nothing), then closes the connection.</summary>
    private sealed class ScriptedServer : IDisposable
    {
        private readonly Socket _listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _serving;

        public ScriptedServer(string path, string? answer)
        {
            _listener.Bind(new UnixDomainSocketEndPoint(path));
            _listener.Listen(4);
            _serving = Task.Run(async () =>
            {
                var buffer = new byte[4096];
                while (!_stop.IsCancellationRequested)
                {
                    using var connection = await _listener.AcceptAsync(_stop.Token);
                    if (answer is not null)
                    {
                        await connection.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                        await connection.SendAsync(Encoding.ASCII.GetBytes(answer), SocketFlags.None, _stop.Token);
                    }
                    connection.Shutdown(SocketShutdown.Both);
                }
            });
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Dispose();
            try
            {
                _serving.Wait(s_hangGuard);
            }
            catch (AggregateException)
            {
            }
            _stop.Dispose();
        }
    }
}
