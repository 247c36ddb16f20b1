using System.Globalization;

namespace Ballast.Autopilot;

/// <summary>
/// The host's memory state from procfs: <c>/proc/pressure/memory</c> (PSI, Linux ≥ 4.20 with CONFIG_PSI; lines
/// <c>some avg10=… avg60=… avg300=… total=…</c> and <c>full …</c>) and MemAvailable from <c>/proc/meminfo</c>.
/// </summary>
public static class HostPressure
{
    /// <summary>Reads both files under <paramref name="procRoot"/>; PSI is null when its file is missing or unreadable.</summary>
    /// <exception cref="IOException">/proc/meminfo cannot be read or has no MemAvailable.</exception>
    public static HostSample Read(string procRoot = "/proc")
    {
        string? psi = null;
        try
        {
            psi = File.ReadAllText(Path.Combine(procRoot, "pressure", "memory"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // No PSI (CONFIG_PSI off, or psi=0): the autopilot goes by MemAvailable alone.
        }
        var (some, full) = psi is null ? (null, null) : ParsePsi(psi);
        var available = ParseMemAvailable(File.ReadAllText(Path.Combine(procRoot, "meminfo")))
            ?? throw new IOException($"{Path.Combine(procRoot, "meminfo")} has no MemAvailable line");
        return new HostSample(some, full, available);
    }

    /// <summary>The <c>avg10</c> of the <c>some</c> and <c>full</c> lines; null for a line that is missing or malformed.</summary>
    public static (double? Some, double? Full) ParsePsi(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        double? some = null, full = null;
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 2)
                continue;
            var avg10 = fields.Skip(1).FirstOrDefault(f => f.StartsWith("avg10=", StringComparison.Ordinal));
            if (avg10 is null || !double.TryParse(avg10.AsSpan(6), NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
                || !(value >= 0 && value <= 100))
                continue;
            if (fields[0] == "some")
                some = value;
            else if (fields[0] == "full")
                full = value;
        }
        return (some, full);
    }

    /// <summary>MemAvailable in bytes (the file says kB), or null.</summary>
    public static long? ParseMemAvailable(string meminfo)
    {
        ArgumentNullException.ThrowIfNull(meminfo);
        foreach (var line in meminfo.Split('\n'))
        {
            if (!line.StartsWith("MemAvailable:", StringComparison.Ordinal))
                continue;
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return fields.Length >= 2 && long.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var kib) && kib < long.MaxValue / 1024
                ? kib * 1024
                : null;
        }
        return null;
    }
}
