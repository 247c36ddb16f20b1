using Ballast.Bitmap;

namespace Ballast.Benchmarks.Bitmap;

public readonly struct XBitmapFinder(XBitmap bitmap) : IBitFinder
{
    public ulong FindSet(ulong start, ulong end) => bitmap.FindSet(start, end);

    public ulong FindZero(ulong start, ulong end) => bitmap.FindZero(start, end);
}
