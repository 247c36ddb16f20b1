using System.Diagnostics.CodeAnalysis;
using Ballast.Balloon.Device;
using Ballast.Daemon.Api;

namespace Ballast.Daemon;

/// <summary>
/// <c>ballast serve --features</c>: a comma-separated list of <see cref="BalloonFeatureNames"/> that replaces the
/// default set (<c>stats,deflate-on-oom</c>); <c>none</c> or an empty list offers none of them.
/// </summary>
public static class ServeFeatureList
{
    /// <summary>What the device offers without <c>--features</c>.</summary>
    public static IReadOnlySet<string> Default { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        BalloonFeatureNames.Stats, BalloonFeatureNames.DeflateOnOom,
    };

    /// <summary>The word for "no optional features".</summary>
    public const string None = "none";

    /// <summary>Parses <paramref name="text"/>, or says which names are unknown.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out IReadOnlySet<string>? features, [NotNullWhen(false)] out string? error)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var unknown = new List<string>();
        foreach (var part in (text ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var name = part.ToLowerInvariant();
            if (name == None)
                continue;
            if (BalloonFeatureNames.All.Contains(name))
                names.Add(name);
            else
                unknown.Add(part);
        }
        if (unknown.Count > 0)
        {
            features = null;
            error = $"unknown feature{(unknown.Count > 1 ? "s" : "")} {string.Join(", ", unknown.Select(u => $"'{u}'"))}; "
                + $"use a comma-separated list of {string.Join(", ", BalloonFeatureNames.All)} (or {None})";
            return false;
        }
        features = names;
        error = null;
        return true;
    }

    /// <summary>Device options offering exactly <paramref name="features"/>, with the SG bit and release policy given.</summary>
    public static BalloonDeviceOptions ToDeviceOptions(IReadOnlySet<string> features, int sgBit, ReleasePolicy release)
    {
        ArgumentNullException.ThrowIfNull(features);
        return new BalloonDeviceOptions
        {
            MustTellHost = features.Contains(BalloonFeatureNames.MustTellHost),
            StatsQueue = features.Contains(BalloonFeatureNames.Stats),
            DeflateOnOom = features.Contains(BalloonFeatureNames.DeflateOnOom),
            PagePoison = features.Contains(BalloonFeatureNames.PagePoison),
            PageReporting = features.Contains(BalloonFeatureNames.PageReporting),
            ScatterGather = features.Contains(BalloonFeatureNames.ScatterGather),
            SgBit = sgBit,
            Release = release,
        };
    }
}
