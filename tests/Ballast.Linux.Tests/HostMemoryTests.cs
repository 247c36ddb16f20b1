
namespace Ballast.Linux.Tests;

public class HostMemoryTests
{
    private const string Sample = """
        MemTotal:       24521872 kB
        MemFree:        23869284 kB
        MemAvailable:   24085576 kB
        Buffers:           41032 kB
        """;

    [Fact]
    public void ParseMemAvailable_ReadsKilobytesAsBytes() =>
        Assert.Equal(24085576L * 1024, HostMemory.ParseMemAvailable(Sample));

    [Theory]
    [InlineData("MemTotal:       24521872 kB\n")]
    [InlineData("MemAvailable:   lots kB\n")]
    [InlineData("MemAvailable:   -5 kB\n")]
    [InlineData("MemAvailable:   99999999999999999999 kB\n")]
    [InlineData("")]
    public void ParseMemAvailable_ReturnsNullWithoutAValidLine(string memInfo) =>
        Assert.Null(HostMemory.ParseMemAvailable(memInfo));

    [Fact]
    public void AvailableBytes_ReadsThisMachine()
    {
        if (!File.Exists(HostMemory.MemInfoPath))
            return; // not Linux: nothing to read
        var available = HostMemory.AvailableBytes();
        Assert.NotNull(available);
        Assert.InRange(available.Value, 1L << 20, long.MaxValue);
    }
}
