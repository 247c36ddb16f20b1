
namespace Ballast.GuestLab.Tests;

/// <summary><see cref="DaemonProcess.BuildArguments"/>: <c>dotnet ballast.dll serve …</c> as documented.</summary>
public sealed class DaemonProcessArgumentsTests
{
    [Fact]
    public void Arguments_NameTheSockets_FeaturesAndLogLevel()
    {
        var args = DaemonProcess.BuildArguments(new DaemonOptions
        {
            SocketPath = "/r/ballast/run/x/balloon.sock",
            ApiPath = "/r/ballast/run/x/api.sock",
            Features = "stats",
            LogLevel = "debug",
            BallastDll = "/opt/ballast.dll",
        });

        Assert.Equal(["/opt/ballast.dll", "serve", "--socket", "/r/ballast/run/x/balloon.sock", "--api", "/r/ballast/run/x/api.sock",
            "--log-level", "debug", "--features", "stats"], args);
    }

    [Fact]
    public void Defaults_AreTheDaemonsOwn_AndThisBallastDll()
    {
        var args = DaemonProcess.BuildArguments(new DaemonOptions { SocketPath = "/s/b.sock" });

        Assert.Equal(DaemonProcess.DefaultBallastDll, args[0]);
        Assert.EndsWith("ballast.dll", args[0], StringComparison.Ordinal);
        Assert.Equal("/s/b.sock.api", args[5]);
        Assert.DoesNotContain("--features", args);
    }
}
