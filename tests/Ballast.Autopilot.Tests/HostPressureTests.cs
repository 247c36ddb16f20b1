namespace Ballast.Autopilot.Tests;

/// <summary>Reading /proc/pressure/memory and /proc/meminfo.</summary>
public sealed class HostPressureTests
{
    [Fact]
    public void ParsePsi_ReadsAvg10OfSomeAndFull()
    {
        var (some, full) = HostPressure.ParsePsi("some avg10=12.50 avg60=3.00 avg300=0.50 total=123456\nfull avg10=1.25 avg60=0.00 avg300=0.00 total=999\n");
        Assert.Equal(12.5, some);
        Assert.Equal(1.25, full);
    }

    [Theory]
    [InlineData("")]
    [InlineData("some avg10=abc\nfull\n")]
    [InlineData("some avg10=150.0 avg60=0\n")]   // a percentage cannot exceed 100
    [InlineData("some avg10=-1 avg60=0\n")]
    public void ParsePsi_Malformed_GivesNull(string text)
    {
        Assert.Equal((null, null), HostPressure.ParsePsi(text));
    }

    [Fact]
    public void ParseMemAvailable_KiBToBytes_MissingOrMalformedIsNull()
    {
        Assert.Equal(2048L * 1024, HostPressure.ParseMemAvailable("MemTotal:       16384 kB\nMemAvailable:       2048 kB\n"));
        Assert.Null(HostPressure.ParseMemAvailable("MemTotal: 1 kB\n"));
        Assert.Null(HostPressure.ParseMemAvailable("MemAvailable: lots kB\n"));
    }

    [Fact]
    public void Read_FromAProcTree_PsiOptional()
    {
        var root = Directory.CreateTempSubdirectory("ballast-proc-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(root, "meminfo"), "MemAvailable:    1000 kB\n");
            Assert.Equal(new HostSample(null, null, 1_024_000), HostPressure.Read(root));
            Directory.CreateDirectory(Path.Combine(root, "pressure"));
            File.WriteAllText(Path.Combine(root, "pressure", "memory"), "some avg10=5.00 avg60=0 avg300=0 total=1\nfull avg10=0.10 avg60=0 avg300=0 total=1\n");
            Assert.Equal(new HostSample(5, 0.1, 1_024_000), HostPressure.Read(root));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Read_ThisHost_HasMemAvailable()
    {
        Assert.True(HostPressure.Read().MemAvailableBytes > 0);
    }
}
