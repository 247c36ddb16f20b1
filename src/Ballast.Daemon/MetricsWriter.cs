using Ballast.Virtio.Memory;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Ballast.Balloon.Device;

namespace Ballast.Daemon;

/// <summary>
/// <c>GET /metrics</c>: the device's counters and the balloon's sizes in the Prometheus text exposition format
/// 0.0.4 (<c># HELP</c>, <c># TYPE</c>, then <c>name{labels} value</c> lines; counters end in <c>_total</c>).
/// </summary>
public static class MetricsWriter
{
    private const ulong PageBytes = GuestPage.Size;

    /// <summary>Every metric name starts with this.</summary>
    public const string Prefix = "ballast_balloon_";

    /// <summary>The label value for <paramref name="kind"/>: its name in snake_case (<c>pfn_out_of_range</c>).</summary>
    public static string ErrorKindLabel(BalloonError kind) => JsonNamingPolicy.SnakeCaseLower.ConvertName(kind.ToString());

    /// <summary>The exposition text for <paramref name="device"/> and <paramref name="backend"/>.</summary>
    public static string Write(BalloonDevice device, IBalloonBackend backend)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(backend);
        var counters = device.Counters;
        var text = new StringBuilder(4096);

        Counter(text, "pages_inflated_total", "4 KiB pages the guest put in the balloon (newly ballooned frames).", Volatile.Read(ref counters.PagesInflated));
        Counter(text, "pages_deflated_total", "4 KiB pages the guest took back out of the balloon.", Volatile.Read(ref counters.PagesDeflated));
        Counter(text, "replayed_pages_total", "4 KiB pages of buffers replayed after a worker restart that a killed worker had already handled (not errors).", Volatile.Read(ref counters.ReplayedPages));
        Counter(text, "release_calls_total", "fallocate/madvise calls made to give guest memory back to the host.", Volatile.Read(ref counters.ReleaseCalls));
        Counter(text, "released_bytes_total", "Bytes of guest memory given back to the host.", Volatile.Read(ref counters.BytesReleased));

        Header(text, "guest_errors_total", "counter", "Bad guest input (and failed releases) the device counted and skipped, by kind.");
        foreach (var kind in Enum.GetValues<BalloonError>())
            Sample(text, "guest_errors_total", $"{{kind=\"{ErrorKindLabel(kind)}\"}}", counters.Errors(kind));

        Counter(text, "kicks_total", "Available-buffer notifications (kicks) the device handled.", Volatile.Read(ref counters.Kicks));
        Counter(text, "interrupts_total", "Used-buffer notifications (interrupts) the device sent to the guest.", Volatile.Read(ref counters.Interrupts));
        Counter(text, "config_changes_total", "Balloon target changes announced to the guest.", Volatile.Read(ref counters.ConfigChanges));
        Counter(text, "stats_updates_total", "Statistics buffers received from the guest.", Volatile.Read(ref counters.StatsUpdates));
        Counter(text, "reports_total", "Free page reports (reporting queue buffers) received from the guest.", Volatile.Read(ref counters.Reports));
        Header(text, "report_seconds_total", "counter", "Time the device spent on free page reports, from taking a buffer to giving it back (releases included).");
        text.Append(CultureInfo.InvariantCulture, $"{Prefix}report_seconds_total {Volatile.Read(ref counters.ReportTicks) / (double)System.Diagnostics.Stopwatch.Frequency:0.######}\n");
        Counter(text, "reported_entries_total", "Valid free-page blocks the guest reported.", Volatile.Read(ref counters.ReportedEntries));
        Counter(text, "reported_bytes_total", "Bytes of valid free-page blocks the guest reported.", Volatile.Read(ref counters.ReportedBytes));
        Counter(text, "report_released_bytes_total", "Reported bytes given back to the host (also in released_bytes_total).", Volatile.Read(ref counters.ReportReleasedBytes));
        Counter(text, "report_poison_skipped_bytes_total", "Reported bytes not released because the guest poisons free pages (poison_val != 0).", Volatile.Read(ref counters.ReportSkippedPoisonBytes));
        Counter(text, "report_malformed_entries_total", "Reported blocks skipped as malformed (also in guest_errors_total by kind).", counters.ReportMalformedEntries);

        Gauge(text, "connected", "1 while a guest (QEMU) is connected, else 0.", backend.IsConnected ? 1UL : 0UL);
        Gauge(text, "target_bytes", "The balloon target (num_pages x 4096).", (ulong)device.NumPages * PageBytes);
        Gauge(text, "actual_bytes", "The balloon size the guest reports (actual x 4096).", (ulong)device.Actual * PageBytes);
        Gauge(text, "ballooned_bytes", "Bytes the device saw inflated and not deflated.", device.BalloonedPages * PageBytes);
        Gauge(text, "guest_bytes", "The connected guest's RAM; 0 with no guest.", backend.GuestRamBytes);
        Gauge(text, "release_pending_bytes", "Ballooned bytes whose host release is still queued (--defer-release).", (ulong)device.PendingReleaseBytes);
        var (backing, hostPage) = backend.IsConnected ? device.HostPages : (MemoryBacking.Pages4K, PageBytes);
        Header(text, "memory_backing", "gauge", "1 for what backs guest RAM (4k, thp or hugetlb).");
        Sample(text, "memory_backing", $"{{backing=\"{ManagementApi.BackingName(backing)}\"}}", 1);
        Gauge(text, "host_page_bytes", "The host page size behind guest RAM: 4096, or the huge page size.", hostPage);
        Gauge(text, "partial_host_page_bytes", "Ballooned bytes the host still holds because their huge page is not wholly ballooned.",
            backend.IsConnected ? (ulong)device.HeldInPartialHostPagesBytes : 0);
        return text.ToString();
    }

    private static void Counter(StringBuilder text, string name, string help, long value)
    {
        Header(text, name, "counter", help);
        Sample(text, name, "", value);
    }

    private static void Gauge(StringBuilder text, string name, string help, ulong value)
    {
        Header(text, name, "gauge", help);
        text.Append(CultureInfo.InvariantCulture, $"{Prefix}{name} {value}\n");
    }

    private static void Header(StringBuilder text, string name, string type, string help) =>
        text.Append(CultureInfo.InvariantCulture, $"# HELP {Prefix}{name} {help}\n# TYPE {Prefix}{name} {type}\n");

    private static void Sample(StringBuilder text, string name, string labels, long value) =>
        text.Append(CultureInfo.InvariantCulture, $"{Prefix}{name}{labels} {value}\n");
}
