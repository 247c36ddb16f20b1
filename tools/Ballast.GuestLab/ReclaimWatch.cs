namespace Ballast.GuestLab;

/// <summary>
/// How <see cref="HostReclaim.UnhogAsync"/> watches the host memory behind guest RAM after the guest's hogs let go,
/// and when it calls that memory settled.
/// </summary>
/// <remarks>
/// Settled: every reading of the last <see cref="SettleWindow"/>, all taken after the last hog exited, lies within
/// <see cref="SettleBandBytes"/> of the newest one. The window is longer than the guest kernel's page reporting delay
/// (2 s in Linux 6.1's mm/page_reporting.c, between a free and its report and between report passes), so the quiet
/// gap before reporting starts, or between two passes, is not taken for the end.
/// </remarks>
public sealed record ReclaimWatch
{
    /// <summary>Pause between readings.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>How long the readings must stay within the band.</summary>
    public TimeSpan SettleWindow { get; init; } = TimeSpan.FromSeconds(4);

    /// <summary>How far a reading may lie from the newest one and still count as settled.</summary>
    public required long SettleBandBytes { get; init; }

    /// <summary>Longest watch: if the memory has not settled by then, the watch fails.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How many hogs must report <c>hog exited</c> before the memory can settle.</summary>
    public int Hogs { get; init; } = 1;

    /// <summary>A watch whose band is 2% of <paramref name="hogBytes"/>, the memory the hogs give back.</summary>
    public static ReclaimWatch For(long hogBytes) => new() { SettleBandBytes = hogBytes / 50 };
}
