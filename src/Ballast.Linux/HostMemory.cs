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
        foreach (var line in memInfo.AsSpan().EnumerateLines())
        {
            const string key = "MemAvailable:";
            if (!line.StartsWith(key, StringComparison.Ordinal))
                continue;

            var value = line[key.Length..].Trim();
            var scale = 1L;
            if (value.EndsWith("kB", StringComparison.Ordinal))
            {
                value = value[..^2].TrimEnd();
                scale = 1024;
            }

            return long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var amount)
                && amount <= long.MaxValue / scale
                ? amount * scale
                : null;
        }

        return null;
    }
}
