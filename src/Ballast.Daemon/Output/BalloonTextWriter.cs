using System.Globalization;
using Ballast.Balloon.Device;
using Ballast.Daemon.Api;
using Ballast.Virtio.Units;

namespace Ballast.Daemon.Output;

/// <summary>The human output of <c>ballast balloon</c>: one <c>name: value</c> line per field, sizes in binary units.</summary>
public static class BalloonTextWriter
{
    /// <summary>What an unreported statistic shows.</summary>
    public const string NotReported = "-";

    /// <summary>
    /// <paramref name="state"/> as lines: target, actual, ballooned, guest RAM, features (negotiated or offered) and
    /// whether a guest is connected.
    /// </summary>
    public static void WriteState(BalloonState state, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(writer);
        var features = state.Features.Count == 0 ? "none" : string.Join(", ", state.Features);
        writer.WriteLine($"target:     {Size(state.TargetBytes)}");
        writer.WriteLine($"actual:     {Size(state.ActualBytes)}");
        writer.WriteLine($"ballooned:  {Size(state.BalloonedBytes)}");
        if (state.ReleasePendingBytes > 0)
            writer.WriteLine($"releasing:  {Size(state.ReleasePendingBytes)} (host release still queued)");
        writer.WriteLine($"guest RAM:  {(state.Connected ? Size(state.GuestBytes) : "-")}");
        writer.WriteLine($"features:   {features} ({(state.Connected ? "negotiated" : "offered")})");
        writer.WriteLine($"connected:  {(state.Connected ? "yes" : "no")}");
    }

    /// <summary>
    /// <paramref name="report"/> as lines: when it was taken (and how long before <paramref name="now"/>), the
    /// polling interval, then every statistic by its API name; unreported ones show <see cref="NotReported"/>.
    /// </summary>
    public static void WriteStatistics(StatisticsReport report, DateTimeOffset now, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(writer);
        var age = now - report.UpdatedAt;
        var ago = age < TimeSpan.Zero ? "" : string.Create(CultureInfo.InvariantCulture, $" ({age.TotalSeconds:0} s ago)");
        writer.WriteLine($"{"updated_at:",-21}{report.UpdatedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)}{ago}");
        writer.WriteLine($"{"polling_interval_s:",-21}{(report.PollingIntervalS == 0 ? "0 (off)" : report.PollingIntervalS.ToString(CultureInfo.InvariantCulture))}");
        foreach (var tag in Enum.GetValues<StatTag>())
        {
            var value = report[tag] is not { } v ? NotReported
                : StatisticsReport.IsBytes(tag) ? Size(v)
                : v.ToString(CultureInfo.InvariantCulture);
            writer.WriteLine($"{BalloonStatistics.ApiName(tag) + ":",-21}{value}");
        }
    }

    /// <summary><paramref name="bytes"/> as <see cref="SizeFormatter.Format"/> writes it.</summary>
    public static string Size(ulong bytes) => SizeFormatter.Format(bytes > long.MaxValue ? long.MaxValue : (long)bytes);
}
