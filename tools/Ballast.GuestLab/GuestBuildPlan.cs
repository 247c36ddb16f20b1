namespace Ballast.GuestLab;

/// <summary>
/// What <c>guest/ensure.sh</c> would install and build before the first guest can boot, as <c>ensure.sh --plan</c>
/// prints it (<c>PLAN_PACKAGES</c>, <c>PLAN_BUILD</c>, <c>PLAN_QEMU</c>) from the same package list and cache keys
/// a real run uses — so what <c>ballast guest-bench</c> announces is what will happen.
/// </summary>
/// <param name="Packages">Debian packages not installed yet that the builds need.</param>
/// <param name="Builds">Artifacts not cached yet, in build order: <c>kernel</c>, <c>module</c>, <c>initrd</c>, <c>qemu</c>.</param>
/// <param name="QemuSetup">How the QEMU chroot is made (setup-qemu.sh's own words).</param>
public sealed record GuestBuildPlan(IReadOnlyList<string> Packages, IReadOnlyList<string> Builds, string QemuSetup)
{
    /// <summary>The artifact names of <see cref="Builds"/>.</summary>
    public const string Kernel = "kernel", Module = "module", Initrd = "initrd", Qemu = "qemu";

    /// <summary>Whether nothing needs installing or building (a warm cache).</summary>
    public bool IsEmpty => Packages.Count == 0 && Builds.Count == 0;

    /// <summary>Parses <c>ensure.sh --plan</c>'s standard output.</summary>
    /// <exception cref="FormatException">A <c>PLAN_*</c> line is missing.</exception>
    public static GuestBuildPlan Parse(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var values = output.Split('\n')
            .Select(line => line.TrimEnd('\r'))
            .Where(line => line.StartsWith("PLAN_", StringComparison.Ordinal) && line.Contains('=', StringComparison.Ordinal))
            .ToDictionary(line => line[..line.IndexOf('=', StringComparison.Ordinal)], line => line[(line.IndexOf('=', StringComparison.Ordinal) + 1)..], StringComparer.Ordinal);
        string Value(string key) => values.TryGetValue(key, out var value)
            ? value
            : throw new FormatException($"{GuestEnvironment.EnsureScript} --plan did not print {key}; its output was:\n{output}");
        static string[] Words(string text) => text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return new GuestBuildPlan(Words(Value("PLAN_PACKAGES")), Words(Value("PLAN_BUILD")), Value("PLAN_QEMU"));
    }

    /// <summary>
    /// What the first run will do, in one line for people: e.g. <c>installs Debian packages a b; builds the guest
    /// kernel (5–9 minutes on 2 cores), the module and the initramfs; sets up the QEMU chroot: debootstrap …</c>.
    /// </summary>
    public string Describe()
    {
        var parts = new List<string>();
        if (Packages.Count > 0)
            parts.Add($"installs Debian packages {string.Join(' ', Packages)} (apt-get)");
        var builds = new List<string>();
        if (Builds.Contains(Kernel))
            builds.Add("the guest kernel (linux-source-6.1; 5-9 minutes on 2 cores)");
        if (Builds.Contains(Module))
            builds.Add("Ballast's balloon module");
        if (Builds.Contains(Initrd))
            builds.Add("the initramfs");
        if (builds.Count > 0)
            parts.Add("builds " + string.Join(", ", builds));
        if (Builds.Contains(Qemu))
            parts.Add($"sets up the QEMU chroot: {QemuSetup}");
        return parts.Count == 0 ? "nothing to install or build" : string.Join("; ", parts);
    }
}
