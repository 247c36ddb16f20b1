namespace Ballast.Bitmap.Tests;

public class XBitmapSmokeTests
{
    [Fact]
    public void Constructs() => Assert.NotNull(new XBitmap());
}
