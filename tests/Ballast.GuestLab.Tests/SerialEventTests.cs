
namespace Ballast.GuestLab.Tests;

/// <summary><see cref="SerialEvent"/> parses guest/README.md's serial line format.</summary>
public sealed class SerialEventTests
{
    [Fact]
    public void TryParse_OneWordEvent_ReadsTimeAndKeys()
    {
        var fact = SerialEvent.TryParse("BALLAST meminfo t=6810 MemTotal=2051808 MemFree=2037552 MemAvailable=2027928", 3);

        Assert.NotNull(fact);
        Assert.Equal("meminfo", fact.Name);
        Assert.Equal(6810, fact.TimeMs);
        Assert.Equal(2037552, fact.Int64("MemFree"));
        Assert.Equal(3, fact.Index);
    }

    [Fact]
    public void TryParse_TwoWordEvent_IsOneName()
    {
        var fact = SerialEvent.TryParse("BALLAST hog killed t=9000 pid=77 signal=9", 0);

        Assert.Equal("hog killed", fact?.Name);
        Assert.Equal("9", fact?["signal"]);
    }

    [Fact]
    public void TryParse_HogChunk_ReadsTheTouchTime()
    {
        var fact = SerialEvent.TryParse("BALLAST hog chunk t=71188 pid=112 n=5 mib=16 us=468213", 0);

        Assert.Equal("hog chunk", fact?.Name);
        Assert.Equal((71188L, 5L, 16L, 468213L), (fact!.TimeMs, fact.Int64("n"), fact.Int64("mib"), fact.Int64("us")));
    }

    [Fact]
    public void TryParse_Cmdline_KeepsTheCommandLineVerbatim()
    {
        var fact = SerialEvent.TryParse("BALLAST cmdline console=ttyS0 reboot=t ballast.dirty=1600", 1);

        Assert.Equal("cmdline", fact?.Name);
        Assert.Null(fact?.TimeMs);
        Assert.Equal("console=ttyS0 reboot=t ballast.dirty=1600", fact?.Text);
        Assert.Empty(fact!.Fields);
    }

    [Fact]
    public void TryParse_EmptyValue_IsKept()
    {
        var fact = SerialEvent.TryParse("BALLAST options t=820 module=virtio_balloon modargs=", 2);

        Assert.Equal("", fact?["modargs"]);
        Assert.Null(fact?["missing"]);
    }

    [Theory]
    [InlineData("[    0.000000] Linux version 6.1.192")]
    [InlineData("ballast ready t=1")]
    [InlineData("BALLAST")]
    [InlineData("BALLAST t=5")]
    [InlineData("BALLAST one two three t=5")]
    public void TryParse_OtherLines_AreNotFacts(string line) => Assert.Null(SerialEvent.TryParse(line, 0));

    [Fact]
    public void Int64_MissingKey_ThrowsWithTheLine()
    {
        var fact = SerialEvent.TryParse("BALLAST ready t=1", 0)!;

        var e = Assert.Throws<FormatException>(() => fact.Int64("MemFree"));
        Assert.Contains("BALLAST ready", e.Message, StringComparison.Ordinal);
    }
}
