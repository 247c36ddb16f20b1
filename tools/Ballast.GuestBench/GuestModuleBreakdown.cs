using System.Globalization;
using System.Text.RegularExpressions;

namespace Ballast.GuestBench;

/// <summary>
/// Where Ballast's module spent its time in one direction (inflate or deflate) of a run, summed over its
/// <c>dyndbg=+p</c> debug batch lines (guest/README.md, "The Ballast balloon module"):
/// <c>ballast_balloon virtio0: inflate pages=65536 blocks=128 span=65536 entries=1 kicks=2 runs=bitmap prep_us=1197
/// host_us=53188 post_us=7655 balloon=131072</c>. The guest's clock: under TCG only as good as its clocksource.
/// </summary>
/// <param name="Batches">Batch lines.</param>
/// <param name="Pages">4 KiB pages moved.</param>
/// <param name="Entries">SG entries (runs) sent.</param>
/// <param name="Kicks">Notifications.</param>
/// <param name="PrepUs">Inflate: allocating and sending all steps but the last; deflate: dequeueing.</param>
/// <param name="HostUs">Inflate: the rest of the wait for the host; deflate: telling and waiting.</param>
/// <param name="PostUs">Inflate: enqueueing the pages as balloon pages (while the host releases the last step); deflate: freeing.</param>
public sealed partial record GuestModuleBreakdown(int Batches, long Pages, long Entries, long Kicks, long PrepUs, long HostUs, long PostUs)
{
    /// <summary>The sums of the <paramref name="direction"/> (<c>inflate</c> or <c>deflate</c>) lines in <paramref name="lines"/>, or null if there are none.</summary>
    public static GuestModuleBreakdown? Sum(IEnumerable<string> lines, string direction)
    {
        ArgumentNullException.ThrowIfNull(lines);
        GuestModuleBreakdown? sum = null;
        foreach (var line in lines)
        {
            var match = BatchLine().Match(line);
            if (!match.Success || match.Groups["dir"].Value != direction)
                continue;
            long Value(string name) => long.Parse(match.Groups[name].Value, NumberStyles.None, CultureInfo.InvariantCulture);
            var batch = new GuestModuleBreakdown(1, Value("pages"), Value("entries"), Value("kicks"), Value("prep"), Value("host"), Value("post"));
            sum = sum is null ? batch : new GuestModuleBreakdown(sum.Batches + 1, sum.Pages + batch.Pages, sum.Entries + batch.Entries,
                sum.Kicks + batch.Kicks, sum.PrepUs + batch.PrepUs, sum.HostUs + batch.HostUs, sum.PostUs + batch.PostUs);
        }
        return sum;
    }

    [GeneratedRegex(@"ballast_balloon \S+: (?<dir>inflate|deflate) pages=(?<pages>\d+) .*?entries=(?<entries>\d+) kicks=(?<kicks>\d+) .*?prep_us=(?<prep>\d+) host_us=(?<host>\d+) post_us=(?<post>\d+)",
        RegexOptions.CultureInvariant)]
    private static partial Regex BatchLine();
}
