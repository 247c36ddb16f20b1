namespace Ballast.GuestBench;

/// <summary>
/// The guest balloon drivers <c>ballast guest-bench --driver</c> compares: Linux 6.1's stock virtio_balloon, and
/// Ballast's own module (<c>guest/module/</c>, <c>ballast_balloon.ko</c> in the initramfs) with the daemon's
/// scatter-gather feature, allocating single pages (the seed's SG) or high-order blocks.
/// </summary>
public static class GuestBenchDrivers
{
    /// <summary>Linux 6.1's virtio_balloon; the daemon offers no SG.</summary>
    public const string Stock = "stock";

    /// <summary><c>ballast_balloon</c> with order-0 pages (the seed's SG); the daemon offers SG.</summary>
    public const string Sg = "sg";

    /// <summary><c>ballast_balloon</c> allocating 2^<see cref="HighOrder"/>-page blocks; the daemon offers SG.</summary>
    public const string SgHighOrder = "sg-highorder";

    /// <summary>All three, in that order.</summary>
    public const string All = "all";

    /// <summary>The module's <c>alloc_order</c> for <see cref="SgHighOrder"/>: 2 MiB blocks.</summary>
    public const int HighOrder = 9;

    /// <summary>The name of Ballast's module (<c>ballast.module=</c>, and the bound driver in the <c>virtio</c> fact).</summary>
    public const string BallastModule = "ballast_balloon";

    /// <summary>The name of the stock module and driver.</summary>
    public const string StockModule = "virtio_balloon";

    /// <summary>The values <c>--driver</c> takes.</summary>
    public static IReadOnlyList<string> CommandLineValues { get; } = [Stock, Sg, SgHighOrder, All];

    /// <summary>The drivers one repeat runs, in order, for a <c>--driver</c> value.</summary>
    public static IReadOnlyList<string> Select(string value) => value switch
    {
        Stock => [Stock],
        Sg => [Sg],
        SgHighOrder => [SgHighOrder],
        All => [Stock, Sg, SgHighOrder],
        _ => throw new ArgumentOutOfRangeException(nameof(value), value, $"--driver must be one of {string.Join(", ", CommandLineValues)}"),
    };

    /// <summary>Whether <paramref name="driver"/> is Ballast's module (and needs the daemon's SG feature).</summary>
    public static bool UsesSg(string driver) => driver is Sg or SgHighOrder;

    /// <summary>The module <c>/init</c> loads for <paramref name="driver"/> (<c>ballast.module=</c>).</summary>
    public static string Module(string driver) => UsesSg(driver) ? BallastModule : StockModule;

    /// <summary>
    /// The kernel command-line words that pick <paramref name="driver"/>: <c>ballast.module=</c>, plus
    /// <c>ballast.modargs=alloc_order=9</c> for <see cref="SgHighOrder"/>.
    /// </summary>
    public static string KernelArguments(string driver) => driver switch
    {
        Stock => $"ballast.module={StockModule}",
        Sg => $"ballast.module={BallastModule}",
        SgHighOrder => $"ballast.module={BallastModule} ballast.modargs=alloc_order={HighOrder}",
        _ => throw new ArgumentOutOfRangeException(nameof(driver), driver, "unknown driver"),
    };
}
