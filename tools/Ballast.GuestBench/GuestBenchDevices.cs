namespace Ballast.GuestBench;

/// <summary>Names of <see cref="GuestBenchDevice"/> values on the command line (<c>--device</c>), in tables and JSON.</summary>
public static class GuestBenchDevices
{
    /// <summary>The command-line value that selects both devices, alternating.</summary>
    public const string BothName = "both";

    /// <summary>Both devices, in the order <c>--device both</c> runs them in every repeat: QEMU's first.</summary>
    public static IReadOnlyList<GuestBenchDevice> Both { get; } = [GuestBenchDevice.Qemu, GuestBenchDevice.Ballast];

    /// <summary>The values <c>--device</c> takes: <c>ballast</c>, <c>qemu</c>, <c>both</c>.</summary>
    public static IReadOnlyList<string> CommandLineValues { get; } = [Name(GuestBenchDevice.Ballast), Name(GuestBenchDevice.Qemu), BothName];

    /// <summary>The name of <paramref name="device"/>: <c>qemu</c> or <c>ballast</c>.</summary>
    public static string Name(GuestBenchDevice device) => device switch
    {
        GuestBenchDevice.Qemu => "qemu",
        GuestBenchDevice.Ballast => "ballast",
        _ => throw new ArgumentOutOfRangeException(nameof(device), device, "unknown guest-bench device"),
    };

    /// <summary>The device named <paramref name="name"/> (<c>qemu</c> or <c>ballast</c>, not <c>both</c>); false if none is.</summary>
    public static bool TryParse(string? name, out GuestBenchDevice device)
    {
        foreach (var candidate in Both)
        {
            if (Name(candidate) == name)
            {
                device = candidate;
                return true;
            }
        }
        device = default;
        return false;
    }

    /// <summary>The devices one repeat runs, in order, for a <c>--device</c> value: both for <c>both</c>, else the one named.</summary>
    /// <exception cref="ArgumentException"><paramref name="value"/> is not a <c>--device</c> value.</exception>
    public static IReadOnlyList<GuestBenchDevice> Select(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value == BothName)
            return Both;
        if (TryParse(value, out var device))
            return [device];
        throw new ArgumentException($"--device must be one of {string.Join(", ", CommandLineValues)} (got '{value}')", nameof(value));
    }
}
