namespace Ballast.Bitmap;

/// <summary>Placeholder; the real structure lands with issue "Foundation and the seed's xbitmap".</summary>
public sealed class XBitmap
{
}
