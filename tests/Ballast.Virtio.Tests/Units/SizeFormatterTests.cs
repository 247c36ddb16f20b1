using Ballast.Virtio.Units;

namespace Ballast.Virtio.Tests.Units;

public class SizeFormatterTests
{
    [Theory]
    [InlineData(7L << 30, "7 GiB")]
    [InlineData(8L << 30, "8 GiB")]
    [InlineData(1792L << 20, "1792 MiB")]
    [InlineData(512L << 20, "512 MiB")]
    [InlineData(4096L, "4 KiB")]
    [InlineData(1L << 40, "1 TiB")]
    [InlineData(100L, "100 B")]
    [InlineData(0L, "0 B")]
    [InlineData(1023L, "1023 B")]
    [InlineData(1500L, "1500 B")]
    [InlineData(12345L, "12.1 KiB")]
    [InlineData(1536L << 20, "1536 MiB")]
    [InlineData((8L << 30) + 12345, "8.0 GiB")]
    [InlineData((23L << 30) + (400L << 20) + 7, "23.4 GiB")]
    [InlineData(-(4L << 20), "-4 MiB")]
    public void Format_UsesLargestWholeBinaryUnit(long bytes, string expected) =>
        Assert.Equal(expected, SizeFormatter.Format(bytes));

    [Fact]
    public void Format_HandlesExtremes()
    {
        Assert.Equal("8.0 EiB", SizeFormatter.Format(long.MaxValue));
        Assert.StartsWith("-", SizeFormatter.Format(long.MinValue), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1234L << 20, "1234")]
    [InlineData((1234L << 20) + 5, "1234")]
    [InlineData(0L, "0")]
    public void WholeMiB_RoundsDown(long bytes, string expected) =>
        Assert.Equal(expected, SizeFormatter.WholeMiB(bytes));

    [Theory]
    [InlineData(8L << 30, "8192.0")]
    [InlineData(3L << 19, "1.5")]
    public void MiBWithDecimal_KeepsOneDecimal(long bytes, string expected) =>
        Assert.Equal(expected, SizeFormatter.MiBWithDecimal(bytes));
}
