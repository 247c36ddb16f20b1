using System.Globalization;
using System.Text;

namespace Ballast.Autopilot;

/// <summary>
/// The autopilot's metrics in the Prometheus text format (for node_exporter's textfile collector, or any reader):
/// decisions by guest and reason, each guest's target and available memory, host pressure. Written whole to a
/// temporary file and renamed, so a reader never sees half.
/// </summary>
public sealed class AutopilotMetrics
{
    private readonly Dictionary<(string Guest, DecisionReason Reason), long> _decisions = [];
    private readonly Dictionary<string, Decision> _last = new(StringComparer.Ordinal);
    private HostSample? _host;
    private bool _pressure;

    /// <summary>Counts one round's decisions and the host sample they were made on.</summary>
    public void Record(HostSample host, bool underPressure, IReadOnlyList<Decision> decisions)
    {
        ArgumentNullException.ThrowIfNull(decisions);
        _host = host;
        _pressure = underPressure;
        foreach (var d in decisions)
        {
            _decisions[(d.Guest, d.Reason)] = _decisions.GetValueOrDefault((d.Guest, d.Reason)) + 1;
            _last[d.Guest] = d;
        }
        foreach (var gone in _last.Keys.Where(g => !decisions.Any(d => d.Guest == g)).ToList())
            _last.Remove(gone);
    }

    /// <summary>The metrics as text.</summary>
    public string Format()
    {
        var text = new StringBuilder();
        static string Label(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)
            .Replace("\n", "\\n", StringComparison.Ordinal);
        text.Append("# HELP ballast_autopilot_decisions_total Decisions by guest and reason.\n# TYPE ballast_autopilot_decisions_total counter\n");
        foreach (var ((guest, reason), count) in _decisions.OrderBy(p => p.Key.Guest, StringComparer.Ordinal).ThenBy(p => p.Key.Reason))
            text.Append(CultureInfo.InvariantCulture, $"ballast_autopilot_decisions_total{{guest=\"{Label(guest)}\",reason=\"{reason}\"}} {count}\n");
        text.Append("# HELP ballast_autopilot_target_bytes The balloon target last decided.\n# TYPE ballast_autopilot_target_bytes gauge\n");
        foreach (var d in _last.Values.OrderBy(d => d.Guest, StringComparer.Ordinal))
            text.Append(CultureInfo.InvariantCulture, $"ballast_autopilot_target_bytes{{guest=\"{Label(d.Guest)}\"}} {d.NewTargetBytes}\n");
        text.Append("# HELP ballast_autopilot_available_bytes The guest's available memory as last judged.\n# TYPE ballast_autopilot_available_bytes gauge\n");
        foreach (var d in _last.Values.Where(d => d.AvailableBytes is not null).OrderBy(d => d.Guest, StringComparer.Ordinal))
            text.Append(CultureInfo.InvariantCulture, $"ballast_autopilot_available_bytes{{guest=\"{Label(d.Guest)}\"}} {d.AvailableBytes}\n");
        if (_host is { } host)
        {
            text.Append("# HELP ballast_autopilot_host_pressure 1 while the host counts as under memory pressure.\n# TYPE ballast_autopilot_host_pressure gauge\n");
            text.Append(CultureInfo.InvariantCulture, $"ballast_autopilot_host_pressure {(_pressure ? 1 : 0)}\n");
            text.Append("# HELP ballast_autopilot_host_mem_available_bytes The host's MemAvailable.\n# TYPE ballast_autopilot_host_mem_available_bytes gauge\n");
            text.Append(CultureInfo.InvariantCulture, $"ballast_autopilot_host_mem_available_bytes {host.MemAvailableBytes}\n");
            if (host.PsiSomeAvg10 is { } some)
            {
                text.Append("# HELP ballast_autopilot_host_psi_some_avg10 Memory PSI some avg10 (percent).\n# TYPE ballast_autopilot_host_psi_some_avg10 gauge\n");
                text.Append(CultureInfo.InvariantCulture, $"ballast_autopilot_host_psi_some_avg10 {some}\n");
            }
        }
        return text.ToString();
    }

    /// <summary>Writes <see cref="Format"/> to <paramref name="path"/> through a temporary file in the same directory.</summary>
    public void WriteTo(string path)
    {
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, Format());
        File.Move(temporary, path, overwrite: true);
    }
}
