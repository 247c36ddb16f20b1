namespace Ballast.GuestBench;

/// <summary>The balloon devices <c>ballast guest-bench --device</c> compares.</summary>
public static class GuestBenchDevices
{
    /// <summary>QEMU's built-in <c>virtio-balloon-device</c>, driven over QMP.</summary>
    public const string Qemu = "qemu";

    /// <summary>Ballast's daemon over vhost-user.</summary>
    public const string Ballast = "ballast";

    /// <summary>Both, alternating.</summary>
    public const string Both = "both";

    /// <summary>The values <c>--device</c> takes.</summary>
    public static IReadOnlyList<string> CommandLineValues { get; } = [Ballast, Qemu, Both];

    /// <summary>The devices one repeat runs, in order, for a <c>--device</c> value.</summary>
    public static IReadOnlyList<string> Select(string value) => value switch
    {
        Qemu => [Qemu],
        Ballast => [Ballast],
        Both => [Qemu, Ballast],
        _ => throw new ArgumentOutOfRangeException(nameof(value), value, $"--device must be one of {string.Join(", ", CommandLineValues)}"),
    };
}
