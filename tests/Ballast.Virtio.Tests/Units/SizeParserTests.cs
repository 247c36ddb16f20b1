using Ballast.Virtio.Units;
using CsCheck;

namespace Ballast.Virtio.Tests.Units;

public class SizeParserTests
{
    private const long KiB = 1L << 10;
    private const long MiB = 1L << 20;
    private const long GiB = 1L << 30;
    private const long TiB = 1L << 40;

    [Theory]
    [InlineData("8G", 8 * GiB)]
    [InlineData("7GiB", 7 * GiB)]
    [InlineData("1792M", 1792 * MiB)]
    [InlineData("512MiB", 512 * MiB)]
    [InlineData("4096K", 4096 * KiB)]
    [InlineData("4096", 4096L)]
    [InlineData("1", 1L)]
    [InlineData("4096B", 4096L)]
    [InlineData("4096b", 4096L)]
    [InlineData("8g", 8 * GiB)]
    [InlineData("8gib", 8 * GiB)]
    [InlineData("8GIB", 8 * GiB)]
    [InlineData("8GB", 8 * GiB)]
    [InlineData("8gb", 8 * GiB)]
    [InlineData("2kb", 2 * KiB)]
    [InlineData("1T", TiB)]
    [InlineData("1TiB", TiB)]
    [InlineData("  8G  ", 8 * GiB)]
    [InlineData("8 GiB", 8 * GiB)]
    [InlineData("08G", 8 * GiB)]
    [InlineData("8388607T", 8388607 * TiB)]
    [InlineData("9223372036854775807", long.MaxValue)]
    public void Parse_AcceptsBinarySizes(string text, long expected)
    {
        Assert.Equal(expected, SizeParser.Parse(text));
        Assert.True(SizeParser.TryParse(text, out var bytes, out var error));
        Assert.Equal(expected, bytes);
        Assert.Null(error);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("   ", "empty")]
    [InlineData("1X", "not a size")]
    [InlineData("G", "not a size")]
    [InlineData("GiB", "not a size")]
    [InlineData("abc", "not a size")]
    [InlineData("8Gi", "not a size")]
    [InlineData("8iB", "not a size")]
    [InlineData("8GiBs", "not a size")]
    [InlineData("8 G B", "not a size")]
    [InlineData("8P", "not a size")]
    [InlineData("8E", "not a size")]
    [InlineData("0x10", "not a size")]
    [InlineData("1e9", "not a size")]
    [InlineData("8G8", "not a size")]
    [InlineData("1.5G", "whole number")]
    [InlineData("1,5G", "whole number")]
    [InlineData("0", "zero")]
    [InlineData("0G", "zero")]
    [InlineData("000KiB", "zero")]
    [InlineData("-1", "sign")]
    [InlineData("-8G", "sign")]
    [InlineData("+8G", "sign")]
    [InlineData("99999999999T", "too large")]
    [InlineData("8388608T", "too large")]
    [InlineData("9223372036854775808", "too large")]
    [InlineData("18446744073709551616", "too large")]
    [InlineData("99999999999999999999999999G", "too large")]
    [InlineData("٣G", "not a size")]
    public void Parse_RejectsWithReason(string text, string reason)
    {
        Assert.False(SizeParser.TryParse(text, out var bytes, out var error));
        Assert.Equal(0, bytes);
        Assert.Contains(reason, error, StringComparison.Ordinal);
        var ex = Assert.Throws<FormatException>(() => SizeParser.Parse(text));
        Assert.Equal(error, ex.Message);
    }

    [Fact]
    public void TryParse_RejectsNull()
    {
        Assert.False(SizeParser.TryParse(null, out _, out var error));
        Assert.Contains("empty", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NumberWithUnit_IsNumberTimesPowerOf1024() =>
        Gen.Select(Gen.Long[1, 1L << 23], Gen.Int[0, 4], Gen.OneOf(Gen.Const(""), Gen.Const("B"), Gen.Const("iB")), Gen.Bool)
            .Sample((number, power, suffix, lower) =>
            {
                var unit = power == 0 ? (suffix.Length > 0 ? "B" : "") : "KMGT"[power - 1] + suffix;
                var text = number + (lower ? unit.ToLowerInvariant() : unit);
                return SizeParser.Parse(text) == number << (10 * power);
            });

    [Fact]
    public void Parse_ReadsBackExactFormattedSizes() =>
        Gen.Select(Gen.Long[1, (1L << 20) - 1], Gen.Int[0, 3])
            .Sample((number, power) =>
            {
                var bytes = number << (10 * power);
                var text = SizeFormatter.Format(bytes);
                return text.Contains('.', StringComparison.Ordinal) || SizeParser.Parse(text) == bytes;
            });
}
