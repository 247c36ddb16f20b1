using Ballast.Balloon.Device;

namespace Ballast.Balloon.Tests.Device;

/// <summary>The target rules the management API applies (and any other caller, such as a policy, must).</summary>
public sealed class BalloonTargetTests
{
    [Theory]
    [InlineData(0L)]
    [InlineData(4096L)]
    [InlineData(8L << 30)]
    public void CheckBytes_AcceptsWholePages(long bytes) => Assert.Null(BalloonTarget.CheckBytes(bytes));

    [Theory]
    [InlineData(-4096L, "must not be negative")]
    [InlineData(4095L, "multiple of 4096")]
    [InlineData(4097L, "multiple of 4096")]
    public void CheckBytes_RefusesNegativesAndPartPages(long bytes, string expected) =>
        Assert.Contains(expected, BalloonTarget.CheckBytes(bytes), StringComparison.Ordinal);

    [Fact]
    public void CheckFits_AllowsTheWholeGuest_RefusesOneMorePage()
    {
        Assert.Null(BalloonTarget.CheckFits(1L << 30, 1UL << 30));
        Assert.Contains("more than the guest's RAM", BalloonTarget.CheckFits((1L << 30) + 4096, 1UL << 30), StringComparison.Ordinal);
    }

    [Fact]
    public void CheckFits_RefusesMorePagesThanNumPagesHolds()
    {
        var largest = (long)uint.MaxValue * 4096;
        Assert.Null(BalloonTarget.CheckFits(largest, ulong.MaxValue));
        Assert.Contains("32-bit count", BalloonTarget.CheckFits(largest + 4096, ulong.MaxValue), StringComparison.Ordinal);
    }

    [Fact]
    public void Pages_CountsFourKiBPages() => Assert.Equal(262144UL, BalloonTarget.Pages(1L << 30));
}
