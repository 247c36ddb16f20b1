namespace Ballast.Bitmap.Tests.Infrastructure;

/// <summary>
/// The seed's tell_host_sgs() loop rendered with XBitmap calls: the walked range is the inclusive
/// [pfnMin, pfnMax]; each FindSet/FindZero pair bounds one run; the next search starts one past the zero
/// just found (which is known to be clear). The sg length split (max_len) is left out.
/// </summary>
internal static class TellHostSgsWalk
{
    public static List<XBitmapRun> Walk(XBitmap bitmap, ulong pfnMin, ulong pfnMax)
    {
        var runs = new List<XBitmapRun>();
        ulong end = pfnMax + 1;
        ulong position = pfnMin;
        while (position < end)
        {
            ulong first = bitmap.FindSet(position, end);
            if (first == end)
            {
                break;
            }

            ulong next = bitmap.FindZero(first, end);
            runs.Add(new XBitmapRun(first, next - first));
            if (next == end)
            {
                break;
            }

            position = next + 1;
        }

        return runs;
    }
}
