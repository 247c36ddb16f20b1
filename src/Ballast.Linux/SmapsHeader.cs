using System.Globalization;

namespace Ballast.Linux;

/// <summary>
/// The first line of a mapping in <c>/proc/PID/smaps</c>: "start-end perms offset dev inode [path]" (proc(5)). Read
/// from a span, so a caller that must not allocate (<see cref="StartupPages"/>) can use it.
/// </summary>
/// <param name="Start">The first address.</param>
/// <param name="Length">The mapping's length in bytes.</param>
/// <param name="Readable">perms[0] is <c>r</c>.</param>
/// <param name="Writable">perms[1] is <c>w</c>.</param>
/// <param name="Private">perms[3] is <c>p</c> (copy-on-write), not <c>s</c>.</param>
/// <param name="Inode">The file's inode; 0 for anonymous memory.</param>
public readonly record struct SmapsHeader(nint Start, nuint Length, bool Readable, bool Writable, bool Private, ulong Inode)
{
    /// <summary>Parses <paramref name="line"/>; false if it is not a mapping's first line (a field line, or malformed).</summary>
    public static bool TryParse(ReadOnlySpan<char> line, out SmapsHeader header)
    {
        header = default;
        Span<Range> fields = stackalloc Range[6];
        var count = line.Split(fields, ' ', StringSplitOptions.RemoveEmptyEntries);
        if (count < 5)
            return false;
        var range = line[fields[0]];
        var perms = line[fields[1]];
        var dash = range.IndexOf('-');
        if (dash <= 0 || perms.Length != 4 || !line[fields[3]].Contains(':')
            || !ulong.TryParse(range[..dash], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var from)
            || !ulong.TryParse(range[(dash + 1)..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var to)
            || to <= from
            || !ulong.TryParse(line[fields[4]], NumberStyles.None, CultureInfo.InvariantCulture, out var inode))
            return false;
        header = new SmapsHeader((nint)from, (nuint)(to - from), perms[0] == 'r', perms[1] == 'w', perms[3] == 'p', inode);
        return true;
    }
}
