using System.Globalization;

namespace Ballast.Virtio.Units;

/// <summary>
/// Formats byte counts for people, in binary units: <c>7 GiB</c>, <c>1792 MiB</c>, <c>4 KiB</c>,
/// <c>100 B</c>; a size that is not a whole number of its largest unit gets one decimal
/// (<c>23.4 GiB</c>).
/// </summary>
public static class SizeFormatter
{
    /// <summary>Bytes in one mebibyte.</summary>
    public const long MiB = 1L << 20;

    private static readonly string[] s_units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];

    /// <summary>
    /// <paramref name="bytes"/> in the largest binary unit it reaches: exact sizes as whole numbers
    /// (<c>1792 MiB</c>, since 1792 MiB is not a whole number of GiB), others with one decimal.
    /// </summary>
    public static string Format(long bytes)
    {
        if (bytes < 0)
            return "-" + Format(bytes == long.MinValue ? long.MaxValue : -bytes);

        var exponent = 0;
        while (exponent < s_units.Length - 1 && bytes >= 1L << (10 * (exponent + 1)))
            exponent++;
        var unit = 1L << (10 * exponent);
        if (bytes % unit == 0)
            return string.Create(CultureInfo.InvariantCulture, $"{bytes / unit} {s_units[exponent]}");

        // A whole number of a smaller unit reads better than a rounded larger one: 1792 MiB, not 1.8 GiB.
        if (exponent > 0 && bytes % (unit >> 10) == 0 && bytes / (unit >> 10) < 10_000)
            return string.Create(CultureInfo.InvariantCulture, $"{bytes / (unit >> 10)} {s_units[exponent - 1]}");
        return string.Create(CultureInfo.InvariantCulture, $"{(double)bytes / unit:0.0} {s_units[exponent]}");
    }

    /// <summary><paramref name="bytes"/> as a whole number of MiB, rounded down, without the unit: <c>1234</c>.</summary>
    public static string WholeMiB(long bytes) => (bytes / MiB).ToString(CultureInfo.InvariantCulture);

    /// <summary><paramref name="bytes"/> in MiB with one decimal, without the unit: <c>8192.0</c>.</summary>
    public static string MiBWithDecimal(long bytes) => ((double)bytes / MiB).ToString("0.0", CultureInfo.InvariantCulture);
}
