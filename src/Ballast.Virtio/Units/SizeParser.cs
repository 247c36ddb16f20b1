using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Ballast.Virtio.Units;

/// <summary>
/// Parses memory sizes as <c>ballast</c> takes them on the command line: a whole number of bytes,
/// or a whole number with a binary unit — <c>K</c>, <c>M</c>, <c>G</c>, <c>T</c> = 1024^1..4 — written
/// bare, with <c>B</c> or with <c>iB</c>, in any case: <c>8G</c>, <c>7GiB</c>, <c>1792M</c>,
/// <c>512MiB</c>, <c>4096K</c>, <c>8gb</c>, <c>4096</c>, <c>4096B</c>. Blanks around the number and
/// between number and unit are allowed. Zero, signs, fractions and values above
/// <see cref="long.MaxValue"/> bytes are rejected.
/// </summary>
public static class SizeParser
{
    /// <summary>A short statement of the accepted syntax, for help text and error messages.</summary>
    public const string Syntax = "a whole number of bytes, or a whole number with a binary unit K, M, G or T (1024^n; \"B\" or \"iB\" may follow), e.g. 8G, 7GiB, 1792M, 512MiB, 4096K";

    /// <summary>Parses <paramref name="text"/> into a number of bytes.</summary>
    /// <exception cref="FormatException"><paramref name="text"/> is not a valid size; the message says why.</exception>
    public static long Parse(string text)
    {
        if (!TryParse(text, out var bytes, out var error))
            throw new FormatException(error);
        return bytes;
    }

    /// <summary>Parses <paramref name="text"/> into a number of bytes, or says why it cannot.</summary>
    /// <param name="text">The size as typed.</param>
    /// <param name="bytes">The size in bytes (greater than zero) when this returns <see langword="true"/>.</param>
    /// <param name="error">Why <paramref name="text"/> is not a size, when this returns <see langword="false"/>.</param>
    public static bool TryParse(string? text, out long bytes, [NotNullWhen(false)] out string? error)
    {
        bytes = 0;
        var span = (text ?? string.Empty).AsSpan().Trim();
        if (span.IsEmpty)
        {
            error = $"an empty size is not a size; use {Syntax}";
            return false;
        }

        var digits = 0;
        while (digits < span.Length && char.IsAsciiDigit(span[digits]))
            digits++;
        if (digits == 0)
        {
            error = span[0] is '-' or '+'
                ? $"'{text}' is not a size: give a positive whole number without a sign"
                : $"'{text}' is not a size; use {Syntax}";
            return false;
        }

        var unit = span[digits..].TrimStart();
        if (!TryUnitShift(unit, out var shift))
        {
            error = unit.Length > 0 && unit[0] is '.' or ','
                ? $"'{text}' is not a size: give a whole number (e.g. 1536M rather than 1.5G)"
                : $"'{text}' is not a size; use {Syntax}";
            return false;
        }

        if (!ulong.TryParse(span[..digits], NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            || number > (ulong)long.MaxValue >> shift)
        {
            error = $"'{text}' is too large: a size must be below 8 EiB ({long.MaxValue} bytes)";
            return false;
        }

        if (number == 0)
        {
            error = $"'{text}' is zero: a size must be greater than zero";
            return false;
        }

        bytes = (long)(number << shift);
        error = null;
        return true;
    }

    /// <summary>The power of two a unit suffix stands for: "" and "B" are 0, "K"/"KB"/"KiB" 10, and so on.</summary>
    private static bool TryUnitShift(ReadOnlySpan<char> unit, out int shift)
    {
        shift = 0;
        if (unit.IsEmpty || unit.Equals("B", StringComparison.OrdinalIgnoreCase))
            return true;

        shift = char.ToUpperInvariant(unit[0]) switch
        {
            'K' => 10,
            'M' => 20,
            'G' => 30,
            'T' => 40,
            _ => -1,
        };
        var rest = unit[1..];
        return shift > 0
            && (rest.IsEmpty
                || rest.Equals("B", StringComparison.OrdinalIgnoreCase)
                || rest.Equals("iB", StringComparison.OrdinalIgnoreCase));
    }
}
