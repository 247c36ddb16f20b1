using System.Text.Json;
using Ballast.Cli.Tests.Infrastructure;
using Ballast.Daemon;
using Ballast.Daemon.Api;
using Ballast.TestKit;
using Microsoft.Extensions.Logging;

namespace Ballast.Cli.Tests.Serve;

/// <summary>
/// QEMU's docs/interop/vhost-user.rst, "Backend program conventions", as <c>ballast serve</c> follows them on the command
/// line: <c>--socket-path</c> (with <c>--socket</c> kept), <c>--fd</c> (incompatible with <c>--socket-path</c>),
/// <c>--print-capabilities</c>; and the log options named as people write them.
/// </summary>
public class ServeConventionsTests
{
    [Fact]
    public async Task Serve_PrintCapabilities_PrintsJsonAndExits0()
    {
        var result = await BallastCli.RunAsync("serve", "--print-capabilities");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Equal("", result.StdErr);
        using var json = JsonDocument.Parse(result.StdOut);
        Assert.Equal("balloon", json.RootElement.GetProperty("type").GetString());
        Assert.Equal(BalloonFeatureNames.All, json.RootElement.GetProperty("features").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal(["type", "features"], json.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Single(result.StdOut.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public async Task Serve_PrintCapabilities_IgnoresOtherOptionsAndCreatesNothing()
    {
        using var directory = new TempDirectory();

        // "Other options and arguments should be ignored, and the backend program should not perform its normal function."
        var result = await BallastCli.RunAsync("serve", "--socket-path", directory.File("b.sock"), "--sg-bit", "24", "--print-capabilities");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        Assert.Contains("\"type\":\"balloon\"", result.StdOut, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(directory.Path));
    }

    [Fact]
    public async Task Serve_DescriptorFile_FollowsQemuSchemaAndMatchesCapabilities()
    {
        var root = RepositoryRoot();
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(root, "packaging/qemu/50-ballast-balloon.json")));
        var backend = json.RootElement;

        // vhost-user.json's VhostUserBackend: description, type, binary (absolute), optional tags; nothing else.
        Assert.All(backend.EnumerateObject(), p => Assert.Contains(p.Name, (string[])["description", "type", "binary", "tags"]));
        Assert.False(string.IsNullOrWhiteSpace(backend.GetProperty("description").GetString()));
        Assert.Equal(ServeCapabilities.BackendType, backend.GetProperty("type").GetString());
        Assert.Equal("/usr/libexec/ballast-balloon", backend.GetProperty("binary").GetString());
        var wrapper = await File.ReadAllTextAsync(Path.Combine(root, "packaging/libexec/ballast-balloon"));
        Assert.StartsWith("#!/bin/sh\n", wrapper, StringComparison.Ordinal);
        Assert.Contains("exec /usr/bin/ballastd serve \"$@\"", wrapper, StringComparison.Ordinal);
    }

    [Fact]
    public void Serve_SocketAndSocketPath_AreTheSameOption()
    {
        using var directory = new TempDirectory();
        var serve = new Ballast.Daemon.Commands.ServeCommand(new FakeBalloonBackend().Factory, _ => Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
        var root = CliApp.CreateRootCommand(new Ballast.Cli.Commands.BenchCommand(() => throw new InvalidOperationException()), serve, BallastCli.Balloon());

        var byOldName = serve.ReadOptions(root.Parse(["serve", "--socket", directory.File("a.sock")]));
        var byNewName = serve.ReadOptions(root.Parse(["serve", "--socket-path", directory.File("a.sock")]));

        Assert.Equal(byOldName.SocketPath, byNewName.SocketPath);
        Assert.Equal(directory.File("a.sock") + ".api", byNewName.ApiPath);
    }

    [Theory]
    [InlineData(new[] { "--fd", "3", "--socket-path", "x.sock" }, "--fd: give either --socket-path or --fd, not both")]
    [InlineData(new string[0], "--socket-path: give the vhost-user socket to create (--socket-path PATH), or an inherited one (--fd FDNUM)")]
    public async Task Serve_SocketPathAndFd_ExactlyOneIsUsage(string[] args, string message)
    {
        var result = await BallastCli.RunAsync(["serve", .. args]);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Single(result.StdErr.TrimEnd('\n').Split('\n'));
        Assert.StartsWith($"ballast serve: {message}", result.StdErr, StringComparison.Ordinal);
        Assert.Equal("", result.StdOut);
    }

    [Fact]
    public async Task Serve_MissingDirectory_IsOneLine()
    {
        using var directory = new TempDirectory();

        var result = await BallastCli.RunAsync("serve", "--socket-path", Path.Combine(directory.Path, "nowhere", "b.sock"));

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Single(result.StdErr.TrimEnd('\n').Split('\n'));
        Assert.Contains("--socket-path: the directory", result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_Help_ListsConventionsLevelsAndFormats()
    {
        var result = await BallastCli.RunAsync("serve", "--help");

        Assert.Equal(ExitCodes.Success, result.ExitCode);
        foreach (var text in (string[])["--socket-path", "--socket", "--fd", "--print-capabilities", "--log-format", "<path of the inherited socket>.api",
            "trace", "debug", "info (information)", "warn (warning)", "error", "critical", "off (none)", "simple", "json", "systemd"])
            Assert.Contains(text, result.StdOut, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("trace", LogLevel.Trace)]
    [InlineData("debug", LogLevel.Debug)]
    [InlineData("info", LogLevel.Information)]
    [InlineData("information", LogLevel.Information)]
    [InlineData("warn", LogLevel.Warning)]
    [InlineData("warning", LogLevel.Warning)]
    [InlineData("error", LogLevel.Error)]
    [InlineData("critical", LogLevel.Critical)]
    [InlineData("off", LogLevel.None)]
    [InlineData("none", LogLevel.None)]
    public void Serve_LogLevel_NamesAsPeopleWriteThem(string name, LogLevel level)
    {
        using var directory = new TempDirectory();
        var serve = new Ballast.Daemon.Commands.ServeCommand(new FakeBalloonBackend().Factory, _ => Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
        var root = CliApp.CreateRootCommand(new Ballast.Cli.Commands.BenchCommand(() => throw new InvalidOperationException()), serve, BallastCli.Balloon());

        var parsed = root.Parse(["serve", "--socket-path", directory.File("a.sock"), "--log-level", name]);

        Assert.Empty(parsed.Errors);
        Assert.Equal(level, serve.ReadOptions(parsed).LogLevel);
    }

    [Theory]
    [InlineData("simple", ServeLogFormat.Simple)]
    [InlineData("json", ServeLogFormat.Json)]
    [InlineData("systemd", ServeLogFormat.Systemd)]
    public void Serve_LogFormat_TakesTheBuiltInFormatters(string name, ServeLogFormat format)
    {
        using var directory = new TempDirectory();
        var serve = new Ballast.Daemon.Commands.ServeCommand(new FakeBalloonBackend().Factory, _ => Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
        var root = CliApp.CreateRootCommand(new Ballast.Cli.Commands.BenchCommand(() => throw new InvalidOperationException()), serve, BallastCli.Balloon());

        var parsed = root.Parse(["serve", "--socket-path", directory.File("a.sock"), "--log-format", name]);

        Assert.Empty(parsed.Errors);
        Assert.Equal(format, serve.ReadOptions(parsed).LogFormat);
    }

    /// <summary>The repository this test was built from (the directory holding Ballast.slnx).</summary>
    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Ballast.slnx")))
                return dir.FullName;
        }
        throw new InvalidOperationException($"no Ballast.slnx above {AppContext.BaseDirectory}");
    }
}
