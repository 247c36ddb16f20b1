namespace Ballast.Bitmap.Tests;

/// <summary>
/// Valid bits are 0 .. 2^64−2; an exclusive end may be 2^64−1; ranges may not run past 2^64−1; start may
/// not lie after end. Misuse throws <see cref="ArgumentOutOfRangeException"/> and changes nothing.
/// </summary>
public class ArgumentValidationTests
{
    private const ulong Max = ulong.MaxValue;

    [Fact]
    public void Set_RejectsBit2Pow64Minus1() =>
        Assert.Throws<ArgumentOutOfRangeException>("bit", () => new XBitmap().Set(Max));

    [Fact]
    public void Clear_RejectsBit2Pow64Minus1() =>
        Assert.Throws<ArgumentOutOfRangeException>("bit", () => new XBitmap().Clear(Max));

    [Fact]
    public void Test_RejectsBit2Pow64Minus1() =>
        Assert.Throws<ArgumentOutOfRangeException>("bit", () => new XBitmap().Test(Max));

    [Fact]
    public void LastValidBit_CanBeSetTestedAndCleared()
    {
        var bitmap = new XBitmap();
        Assert.True(bitmap.Set(Max - 1));
        Assert.True(bitmap.Test(Max - 1));
        Assert.Equal(1UL, bitmap.Count);
        Assert.True(bitmap.Clear(Max - 1));
        Assert.False(bitmap.Test(Max - 1));
        Assert.Equal(0, bitmap.MemoryBytes);
    }

    [Theory]
    [InlineData(Max, 1UL)]
    [InlineData(Max - 1, 2UL)]
    [InlineData(1UL, Max)]
    [InlineData(Max, Max)]
    [InlineData(1UL << 63, 1UL << 63)]
    public void SetRange_RejectsRangePast2Pow64Minus1(ulong start, ulong count)
    {
        var bitmap = new XBitmap();
        bitmap.Set(5);
        Assert.Throws<ArgumentOutOfRangeException>("count", () => bitmap.SetRange(start, count));
        Assert.Equal(1UL, bitmap.Count);
        Assert.Equal([new XBitmapRun(5, 1)], bitmap.Runs(0, Max));
    }

    [Theory]
    [InlineData(Max, 1UL)]
    [InlineData(Max - 1, 2UL)]
    [InlineData(1UL, Max)]
    [InlineData(1UL << 63, 1UL << 63)]
    public void ClearRange_RejectsRangePast2Pow64Minus1(ulong start, ulong count)
    {
        var bitmap = new XBitmap();
        bitmap.Set(5);
        Assert.Throws<ArgumentOutOfRangeException>("count", () => bitmap.ClearRange(start, count));
        Assert.True(bitmap.Test(5));
    }

    [Fact]
    public void SetRange_AcceptsRangeEndingAtLastValidBit()
    {
        var bitmap = new XBitmap();
        bitmap.SetRange(Max - 100, 100);
        Assert.Equal(100UL, bitmap.Count);
        Assert.True(bitmap.Test(Max - 1));
        Assert.Equal([new XBitmapRun(Max - 100, 100)], bitmap.Runs(0, Max));
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(12345UL)]
    [InlineData(Max - 1)]
    [InlineData(Max)]
    public void CountZero_IsANoOpAnywhere(ulong start)
    {
        var bitmap = new XBitmap();
        bitmap.SetRange(start, 0);
        Assert.Equal(0UL, bitmap.Count);
        Assert.Equal(0, bitmap.MemoryBytes);

        bitmap.Set(12345);
        bitmap.ClearRange(start, 0);
        Assert.True(bitmap.Test(12345));
    }

    [Theory]
    [InlineData(1UL, 0UL)]
    [InlineData(Max, Max - 1)]
    [InlineData(1UL << 63, 1UL << 32)]
    public void Find_RejectsStartAfterEnd(ulong start, ulong end)
    {
        var bitmap = new XBitmap();
        Assert.Throws<ArgumentOutOfRangeException>("start", () => bitmap.FindSet(start, end));
        Assert.Throws<ArgumentOutOfRangeException>("start", () => bitmap.FindZero(start, end));
        Assert.Throws<ArgumentOutOfRangeException>("start", () => bitmap.Runs(start, end));
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(5UL)]
    [InlineData(Max)]
    public void Find_EmptyRangeReturnsEnd(ulong position)
    {
        var bitmap = new XBitmap();
        bitmap.SetRange(0, 10);
        Assert.Equal(position, bitmap.FindSet(position, position));
        Assert.Equal(position, bitmap.FindZero(position, position));
        Assert.Empty(bitmap.Runs(position, position));
    }

    [Fact]
    public void End2Pow64Minus1_IsExclusive()
    {
        var bitmap = new XBitmap();
        Assert.Equal(Max, bitmap.FindSet(Max - 1, Max));
        Assert.Equal(Max - 1, bitmap.FindZero(Max - 1, Max));

        bitmap.Set(Max - 1);
        Assert.Equal(Max - 1, bitmap.FindSet(0, Max));
        Assert.Equal(Max, bitmap.FindZero(Max - 1, Max));
        Assert.Equal([new XBitmapRun(Max - 1, 1)], bitmap.Runs(0, Max));
    }
}
