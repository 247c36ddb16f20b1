using Ballast.Virtio.Memory;
using System.Globalization;
using System.Text;
using Ballast.Simulation.Experiment;
using Ballast.Virtio.Units;

namespace Ballast.Cli.Output;

/// <summary>
/// Writes a <see cref="BenchReport"/> as the human table of <c>ballast bench</c>: per backing a heading and one
/// column per mode; the seed's four inflate stages in ms and as a percentage of the total; then deflate,
/// release time per GiB, counters, host memory (and on huge pages the huge-page evidence) and integrity; and the
/// floor every mode is measured against. With 4k and another backing, a line per other backing compares each mode's
/// total and release time with 4k's. With a <c>reporting</c> run (<c>--reporting</c>) the table gains the memory
/// reclaimed, the reports and the runs of the guest's reporting work with Linux's delay, and a line per backing
/// compares the time until the host had the memory back with sg's inflate.
/// </summary>
/// <remarks>
/// <code>
/// ballast bench: guest 8 GiB, inflate 7 GiB (1835008 pages), profile idle, clean no, zero-on-alloc no
///
/// backing 4k: 4 KiB host pages
///                        pfn-per-page              pfn               sg
/// alloc         ms    812.0  20.1%     ...
/// </code>
/// </remarks>
public static class BenchTableWriter
{
    private const string ColumnGap = "   ";

    /// <summary>Writes the table for <paramref name="report"/> to <paramref name="writer"/>.</summary>
    /// <param name="report">The report, one run per mode (already aggregated).</param>
    /// <param name="repeat">How many runs each figure is the median of; said in the header when above 1.</param>
    /// <param name="writer">Where to write.</param>
    public static void Write(BenchReport report, int repeat, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(Format(report, repeat));
    }

    /// <summary>The table for <paramref name="report"/> as text, lines ending in <c>\n</c>.</summary>
    public static string Format(BenchReport report, int repeat)
    {
        ArgumentNullException.ThrowIfNull(report);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture,
            $"ballast bench: guest {SizeFormatter.Format(report.GuestMemBytes)}, inflate {SizeFormatter.Format(report.InflateBytes)} "
            + $"({report.InflateBytes / GuestPage.Size} pages), profile {BenchProfiles.Name(report.Profile)}, "
            + $"clean {YesNo(report.Clean)}, zero-on-alloc {YesNo(report.ZeroOnAlloc)}\n");
        if (repeat > 1)
            text.Append(CultureInfo.InvariantCulture, $"median of {repeat} runs per mode, each field on its own\n");
        text.Append('\n');

        var backings = report.Runs.Select(run => run.Backing).Distinct().ToList();
        if (backings.Count == 0)
            backings.Add(report.Backings.Count > 0 ? report.Backings[0].Backing : BenchBacking.Pages4K);
        for (var b = 0; b < backings.Count; b++)
        {
            if (b > 0)
                text.Append('\n');
            AppendBacking(text, report, backings[b], [.. report.Runs.Where(run => run.Backing == backings[b])]);
        }

        if (backings.Contains(BenchBacking.Pages4K))
        {
            var first = true;
            foreach (var backing in backings.Where(backing => backing != BenchBacking.Pages4K))
            {
                if (first)
                    text.Append('\n');
                first = false;
                AppendLine(text, Comparison(report, backing));
            }
        }
        return text.ToString();
    }

    /// <summary>The heading, rows and floor of the runs on one backing.</summary>
    private static void AppendBacking(StringBuilder text, BenchReport report, BenchBacking backing, IReadOnlyList<BenchRun> runs)
    {
        AppendLine(text, Heading(report, backing, runs));
        var huge = backing != BenchBacking.Pages4K;
        var rows = new List<Row>
        {
            Stage("alloc", runs, run => run.AllocMs),
            Stage("send", runs, run => run.SendMs),
            Stage("translate", runs, run => run.TranslateMs),
            Stage("release", runs, run => run.ReleaseMs),
            new("total", "ms", [.. runs.Select(run => new Cell(Ms(run.TotalMs), Percent(run.TotalMs, run.TotalMs)))]),
            new("vs floor", "", [.. runs.Select(run => new Cell(Times(run.TotalMs, report.FloorFor(backing))))]),
            Row.Separator,
            new("deflate", "ms", [.. runs.Select(run => new Cell(run.Mode == BenchMode.Reporting ? "-" : Ms(run.DeflateMs)))]),
            new("release per GiB", "ms", [.. runs.Select(run => new Cell(PerGiB(run.ReleaseMs, run.Pages)))]),
            Count("pages", runs, run => run.Pages),
            Count("buffers", runs, run => run.Buffers),
            Count("kicks", runs, run => run.Kicks),
            Count("runs", runs, run => run.Runs),
            Count("release calls", runs, run => run.ReleaseCalls),
            new("host before", "MiB", [.. runs.Select(run => new Cell(SizeFormatter.MiBWithDecimal(run.HostBytesBefore)))]),
            new("host after", "MiB", [.. runs.Select(run => new Cell(SizeFormatter.MiBWithDecimal(run.HostBytesAfter)))]),
        };
        if (runs.Any(run => run.Mode == BenchMode.Reporting))
        {
            rows.Add(new("reclaimed", "MiB", [.. runs.Select(run => new Cell(SizeFormatter.MiBWithDecimal(run.HostBytesBefore - run.HostBytesAfter)))]));
            rows.Add(Count("reports", runs, run => run.Reports));
            rows.Add(Count("report passes", runs, run => run.ReportPasses));
            rows.Add(new("report delay", "ms", [.. runs.Select(run => new Cell(Ms(run.ReportDelayMs)))]));
        }
        if (huge)
        {
            rows.Add(new("huge pages before", "MiB", [.. runs.Select(run => new Cell(SizeFormatter.MiBWithDecimal(run.HugePageBytesBefore)))]));
            rows.Add(new("huge pages after", "MiB", [.. runs.Select(run => new Cell(SizeFormatter.MiBWithDecimal(run.HugePageBytesAfter)))]));
        }
        rows.Add(new("integrity", "", [.. runs.Select(run => new Cell(run.Integrity))]));

        var labelWidth = rows.Max(row => row.Label.Length);
        var unitWidth = rows.Max(row => row.Unit.Length);
        var valueWidths = new int[runs.Count];
        var percentWidths = new int[runs.Count];
        var columnWidths = new int[runs.Count];
        for (var i = 0; i < runs.Count; i++)
        {
            valueWidths[i] = rows.Where(row => !row.IsSeparator).Max(row => row.Cells[i].Value.Length);
            percentWidths[i] = rows.Where(row => !row.IsSeparator).Max(row => row.Cells[i].Percent?.Length ?? 0);
            var cellWidth = valueWidths[i] + (percentWidths[i] > 0 ? 1 + percentWidths[i] : 0);
            columnWidths[i] = Math.Max(cellWidth, BenchModes.Name(runs[i].Mode).Length);
        }

        var prefixWidth = labelWidth + 1 + unitWidth;
        var header = new StringBuilder(new string(' ', prefixWidth));
        for (var i = 0; i < runs.Count; i++)
            header.Append(ColumnGap).Append(BenchModes.Name(runs[i].Mode).PadLeft(columnWidths[i]));
        AppendLine(text, header.ToString());

        foreach (var row in rows)
        {
            if (row.IsSeparator)
            {
                text.Append('\n');
                continue;
            }

            var line = new StringBuilder(row.Label.PadRight(labelWidth)).Append(' ').Append(row.Unit.PadRight(unitWidth));
            for (var i = 0; i < runs.Count; i++)
            {
                var cell = row.Cells[i];
                var body = cell.Value.PadLeft(valueWidths[i]);
                if (percentWidths[i] > 0)
                    body += " " + (cell.Percent ?? string.Empty).PadLeft(percentWidths[i]);
                line.Append(ColumnGap).Append(body.PadLeft(columnWidths[i]));
            }

            AppendLine(text, line.ToString());
        }

        text.Append('\n');
        if (ReportingComparison(runs) is { } comparison)
            AppendLine(text, comparison);
        // The floor's value lines up with the values of the first column.
        var floorWidth = runs.Count == 0 ? 0 : columnWidths[0] - (percentWidths[0] > 0 ? 1 + percentWidths[0] : 0);
        AppendLine(text, $"{"floor".PadRight(labelWidth)} {"ms".PadRight(unitWidth)}{ColumnGap}{Ms(report.FloorFor(backing)).PadLeft(floorWidth)}"
            + "   (the engine's lower bound for releasing the inflated memory; \"vs floor\" = total / floor)");
    }

    private static Row Stage(string label, IReadOnlyList<BenchRun> runs, Func<BenchRun, double> stage) =>
        new(label, "ms", [.. runs.Select(run => new Cell(Ms(stage(run)), Percent(stage(run), run.TotalMs)))]);

    private static Row Count(string label, IReadOnlyList<BenchRun> runs, Func<BenchRun, long> count) =>
        new(label, "", [.. runs.Select(run => new Cell(count(run).ToString(CultureInfo.InvariantCulture)))]);

    /// <summary>"backing hugetlb: 2 MiB host pages, release granularity host-page, huge pages seen in HugePages_Free".</summary>
    private static string Heading(BenchReport report, BenchBacking backing, IReadOnlyList<BenchRun> runs)
    {
        var summary = report.Backings.FirstOrDefault(b => b.Backing == backing);
        var pageSize = summary?.HostPageSize ?? runs.Select(run => run.HostPageSize).FirstOrDefault();
        var heading = new StringBuilder($"backing {BenchBackings.Name(backing)}");
        if (pageSize > 0)
            heading.Append(CultureInfo.InvariantCulture, $": {SizeFormatter.Format(pageSize)} host pages");
        if (backing != BenchBacking.Pages4K)
        {
            heading.Append(CultureInfo.InvariantCulture, $", release granularity {ReleaseGranularities.Name(runs.Count > 0 ? runs[0].ReleaseGranularity : report.ReleaseGranularity)}");
            if (summary is not null)
                heading.Append(CultureInfo.InvariantCulture, $", huge pages seen in {summary.HugePageSource} (/proc/meminfo)");
        }
        return heading.ToString();
    }

    /// <summary>"hugetlb vs 4k: total pfn-per-page 0.95x, pfn 0.10x, sg 0.05x; release …": each mode's time on <paramref name="backing"/> over its time on 4 KiB pages.</summary>
    private static string Comparison(BenchReport report, BenchBacking backing)
    {
        var pairs = report.Runs.Where(run => run.Backing == backing)
            .Select(run => (Run: run, Base: report.Runs.FirstOrDefault(b => b.Backing == BenchBacking.Pages4K && b.Mode == run.Mode)))
            .Where(pair => pair.Base is not null)
            .ToList();
        string Ratios(Func<BenchRun, double> ms) =>
            string.Join(", ", pairs.Select(pair => $"{BenchModes.Name(pair.Run.Mode)} {Ratio(ms(pair.Run), ms(pair.Base!))}"));
        return $"{BenchBackings.Name(backing)} vs 4k: total {Ratios(run => run.TotalMs)}; release {Ratios(run => run.ReleaseMs)}";
    }

    /// <summary>
    /// "reporting: R MiB back in W ms of work, D ms with Linux's 2 s before each of P passes; vs sg's inflate of S MiB in
    /// T ms: W/T x (work), D/T x (with the delays)"; the part after ';' only with an sg run; null without a reporting run.
    /// </summary>
    private static string? ReportingComparison(IReadOnlyList<BenchRun> runs)
    {
        var reporting = runs.FirstOrDefault(run => run.Mode == BenchMode.Reporting);
        if (reporting is null)
            return null;
        var reclaimed = SizeFormatter.MiBWithDecimal(reporting.HostBytesBefore - reporting.HostBytesAfter);
        var withDelay = reporting.TotalMs + reporting.ReportDelayMs;
        var line = $"reporting: {reclaimed} MiB back in {Ms(reporting.TotalMs)} ms of work, {Ms(withDelay)} ms with Linux's "
            + $"{PageReportingDelaySeconds} s before each of {reporting.ReportPasses} passes";
        var sg = runs.FirstOrDefault(run => run.Mode == BenchMode.Sg);
        if (sg is null)
            return line;
        return line + $"; vs sg's inflate of {SizeFormatter.MiBWithDecimal(sg.HostBytesBefore - sg.HostBytesAfter)} MiB in {Ms(sg.TotalMs)} ms: "
            + $"{Ratio(reporting.TotalMs, sg.TotalMs)} (work), {Ratio(withDelay, sg.TotalMs)} (with the delays)";
    }

    private static string PageReportingDelaySeconds =>
        Simulation.Guest.PageReporting.Delay.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture);

    private static string Ratio(double part, double whole) =>
        whole > 0 && double.IsFinite(part) ? (part / whole).ToString(part / whole < 0.1 ? "0.000" : "0.00", CultureInfo.InvariantCulture) + "x" : "-";

    private static string PerGiB(double ms, long pages) =>
        pages > 0 && double.IsFinite(ms) ? (ms * (1L << 30) / (pages * GuestPage.Size)).ToString("0.0", CultureInfo.InvariantCulture) : "-";

    private static string Ms(double ms) => ms.ToString("0.0", CultureInfo.InvariantCulture);

    private static string Percent(double part, double total) =>
        total > 0 && double.IsFinite(part) ? (100 * part / total).ToString("0.0", CultureInfo.InvariantCulture) + "%" : "-";

    private static string Times(double total, double floor) =>
        floor > 0 && double.IsFinite(total) ? (total / floor).ToString("0.0", CultureInfo.InvariantCulture) + "x" : "-";

    private static string YesNo(bool value) => value ? "yes" : "no";

    private static void AppendLine(StringBuilder text, string line) => text.Append(line.TrimEnd()).Append('\n');

    /// <summary>One cell: a value and, for stage rows, its share of the total.</summary>
    private readonly record struct Cell(string Value, string? Percent = null);

    /// <summary>One table row: label, unit and one cell per run; or a blank separator.</summary>
    private sealed record Row(string Label, string Unit, IReadOnlyList<Cell> Cells)
    {
        public static Row Separator { get; } = new(string.Empty, string.Empty, []);

        public bool IsSeparator => ReferenceEquals(this, Separator);
    }
}
