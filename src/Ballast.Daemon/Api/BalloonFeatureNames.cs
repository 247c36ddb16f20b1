using Ballast.Balloon.Device;
using Ballast.Virtio;

namespace Ballast.Daemon.Api;

/// <summary>
/// The balloon features by the names <c>ballast serve --features</c> takes and the API reports, in this order:
/// <c>must-tell-host</c> (VIRTIO_BALLOON_F_MUST_TELL_HOST), <c>stats</c> (F_STATS_VQ), <c>deflate-on-oom</c>
/// (F_DEFLATE_ON_OOM), <c>page-poison</c> (F_PAGE_POISON), <c>page-reporting</c> (F_PAGE_REPORTING) and <c>sg</c>
/// (Ballast's scatter-gather bit, <see cref="BalloonDeviceOptions.SgBit"/>).
/// </summary>
public static class BalloonFeatureNames
{
    /// <summary>VIRTIO_BALLOON_F_MUST_TELL_HOST.</summary>
    public const string MustTellHost = "must-tell-host";

    /// <summary>VIRTIO_BALLOON_F_STATS_VQ.</summary>
    public const string Stats = "stats";

    /// <summary>VIRTIO_BALLOON_F_DEFLATE_ON_OOM.</summary>
    public const string DeflateOnOom = "deflate-on-oom";

    /// <summary>VIRTIO_BALLOON_F_PAGE_POISON.</summary>
    public const string PagePoison = "page-poison";

    /// <summary>VIRTIO_BALLOON_F_PAGE_REPORTING.</summary>
    public const string PageReporting = "page-reporting";

    /// <summary>Ballast's non-standard VIRTIO_BALLOON_F_SG.</summary>
    public const string ScatterGather = "sg";

    /// <summary>Every name, in report order.</summary>
    public static IReadOnlyList<string> All { get; } = [MustTellHost, Stats, DeflateOnOom, PagePoison, PageReporting, ScatterGather];

    /// <summary>The names of the balloon features set in <paramref name="featureBits"/> for a device built with <paramref name="options"/>.</summary>
    public static IReadOnlyList<string> FromBits(ulong featureBits, BalloonDeviceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var names = new List<string>(All.Count);
        if (VirtioFeatures.Has(featureBits, BalloonFeatures.MustTellHost))
            names.Add(MustTellHost);
        if (VirtioFeatures.Has(featureBits, BalloonFeatures.StatsVq))
            names.Add(Stats);
        if (VirtioFeatures.Has(featureBits, BalloonFeatures.DeflateOnOom))
            names.Add(DeflateOnOom);
        // Bits 4 and 5 may be Ballast's SG bit instead (--sg-bit) when these are not offered.
        if (options.PagePoison && VirtioFeatures.Has(featureBits, BalloonFeatures.PagePoison))
            names.Add(PagePoison);
        if (options.PageReporting && VirtioFeatures.Has(featureBits, BalloonFeatures.PageReporting))
            names.Add(PageReporting);
        if (options.ScatterGather && VirtioFeatures.Has(featureBits, options.SgBit))
            names.Add(ScatterGather);
        return names;
    }
}
