using System.Globalization;

namespace Ballast.Linux;

/// <summary>How much memory this machine can still give, from Linux's <c>/proc/meminfo</c>.</summary>
public static class HostMemory
{
    /// <summary>Where Linux reports memory figures.</summary>
    public const string MemInfoPath = "/proc/meminfo";

    /// <summary>
    /// <c>MemAvailable</c> in bytes: the kernel's estimate of memory available for new work without
    /// swapping. <see langword="null"/> where <c>/proc/meminfo</c> cannot be read or lacks the line.
    /// </summary>
    public static long? AvailableBytes()
    {
        string text;
        try
        {
            text = File.ReadAllText(MemInfoPath);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        return ParseMemAvailable(text);
    }

    /// <summary>
    /// The <c>MemAvailable:</c> line of <paramref name="memInfo"/> (the text of <c>/proc/meminfo</c>,
    /// values in kB = 1024 bytes) in bytes, or <see langword="null"/> if there is no such valid line.
    /// </summary>
    public static long? ParseMemAvailable(string memInfo)
    {
        ArgumentNullException.ThrowIfNull(memInfo);
        if (!TryParseField(memInfo, "MemAvailable", out var amount, out var kilobytes))
            return null;
        var scale = kilobytes ? 1024L : 1L;
        return amount <= long.MaxValue / scale ? amount * scale : null;
    }

    /// <summary>
    /// The number on the first <c>KEY:</c> line of a /proc status text (<c>/proc/meminfo</c>, <c>smaps_rollup</c>):
    /// <c>HugePages_Free:  12</c> or <c>ShmemHugePages:  2048 kB</c>. False if there is no such line or its value is
    /// not a non-negative number; <paramref name="kilobytes"/> says whether it carried the kB unit (not applied).
    /// </summary>
    public static bool TryParseField(string text, string key, out long value, out bool kilobytes)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(key);
        value = 0;
        kilobytes = false;
        foreach (var line in text.AsSpan().EnumerateLines())
        {
            if (line.Length <= key.Length || !line.StartsWith(key, StringComparison.Ordinal) || line[key.Length] != ':')
                continue;
            var field = line[(key.Length + 1)..].Trim();
            if (field.EndsWith("kB", StringComparison.Ordinal))
            {
                field = field[..^2].TrimEnd();
                kilobytes = true;
            }
            return long.TryParse(field, NumberStyles.None, CultureInfo.InvariantCulture, out value);
        }
        return false;
    }
}
