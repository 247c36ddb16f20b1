using System.Globalization;
using Ballast.Linux.Interop;

namespace Ballast.Linux;

/// <summary>
/// Gives back the program's and the libraries' file pages that this process has mapped but may not need again: the
/// code and read-only data that start-up ran and read (a NativeAOT program reads its whole dehydrated type data once
/// to build its types, and every page fault maps up to 16 neighbouring pages along with the one touched). They stay in
/// the page cache (shared with every other process of the same program, reclaimable); the next touch maps a page back
/// with a minor fault. The same thing ART does with an app's compiled code after start-up.
/// </summary>
/// <remarks>
/// Only private, non-writable, file-backed mappings that hold no private (copy-on-write) page are released
/// (<c>Anonymous: 0 kB</c> in <c>/proc/self/smaps</c>): for those MADV_DONTNEED (madvise(2)) only drops the page-table
/// entries, and the file's contents come back unchanged. Relocated data (RELRO), writable data, heaps, stacks and
/// shared mappings (guest RAM) are never touched.
/// </remarks>
public static class StartupPages
{
    /// <summary>One mapping <see cref="Release"/> gives back: its address range and how much of it was resident.</summary>
    /// <param name="Start">The first byte.</param>
    /// <param name="Length">Its length in bytes.</param>
    /// <param name="ResidentKiB">Its <c>Rss</c> before the release.</param>
    public readonly record struct Mapping(nint Start, nuint Length, long ResidentKiB);

    /// <summary>
    /// Releases every releasable mapping of this process; returns how many KiB were resident in them (0 when
    /// <c>/proc/self/smaps</c> cannot be read). A mapping madvise(2) refuses is left as it is.
    /// </summary>
    public static long Release()
    {
        List<Mapping> releasable;
        try
        {
            releasable = ReadOwnSmaps();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
        long released = 0;
        foreach (var mapping in releasable)
        {
            if (Libc.madvise(mapping.Start, mapping.Length, Libc.MADV_DONTNEED) == 0)
                released += mapping.ResidentKiB;
        }
        return released;
    }

    /// <summary>
    /// The mappings of an smaps file that <see cref="Release"/> would give back: private, not writable, backed by a
    /// file (an inode), with resident pages and no private one.
    /// </summary>
    public static List<Mapping> Releasable(IEnumerable<string> smaps)
    {
        ArgumentNullException.ThrowIfNull(smaps);
        var reader = new Reader();
        foreach (var line in smaps)
            reader.Line(line);
        return reader.Finish();
    }

    /// <summary>
    /// <see cref="Releasable"/> over this process's smaps, read in 16 KiB pieces into one buffer: the file is a few
    /// hundred KiB, and the heap pages that would hold it as strings would stay resident after the trim.
    /// </summary>
    private static List<Mapping> ReadOwnSmaps()
    {
        using var file = new FileStream("/proc/self/smaps", FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
        var bytes = new byte[16 << 10];
        Span<char> chars = stackalloc char[512];
        var reader = new Reader();
        var filled = 0;
        while (true)
        {
            var read = file.Read(bytes, filled, bytes.Length - filled);
            filled += read;
            var consumed = 0;
            int newline;
            while ((newline = Array.IndexOf(bytes, (byte)'\n', consumed, filled - consumed)) >= 0)
            {
                Parse(bytes.AsSpan(consumed, newline - consumed), chars, reader);
                consumed = newline + 1;
            }
            // The end of the file, or a line as long as the buffer (the kernel escapes a path's newlines and caps it at
            // PATH_MAX, so no line is): what is left is one line.
            if (read == 0 || (consumed == 0 && filled == bytes.Length))
            {
                if (filled > consumed)
                    Parse(bytes.AsSpan(consumed, filled - consumed), chars, reader);
                consumed = filled;
            }
            bytes.AsSpan(consumed, filled - consumed).CopyTo(bytes);
            filled -= consumed;
            if (read == 0)
                break;
        }
        return reader.Finish();
    }

    /// <summary>One line of smaps: only its start matters (a header's first five fields, a field's name and value).</summary>
    private static void Parse(ReadOnlySpan<byte> line, Span<char> chars, Reader reader)
    {
        var length = System.Text.Encoding.Latin1.GetChars(line[..Math.Min(line.Length, chars.Length)], chars);
        reader.Line(chars[..length]);
    }

    /// <summary>Reads smaps a line at a time: each mapping's header, then its <c>Rss</c> and <c>Anonymous</c> fields.</summary>
    private sealed class Reader
    {
        private readonly List<Mapping> _result = [];
        private Mapping? _current;
        private bool _candidate;
        private long _rss;
        private long? _anonymous;

        public void Line(ReadOnlySpan<char> line)
        {
            if (SmapsHeader.TryParse(line, out var header))
            {
                Flush();
                _current = new Mapping(header.Start, header.Length, 0);
                // Private, read-only, backed by a file: its pages can be read back from the file.
                _candidate = header.Inode != 0 && header.Readable && !header.Writable && header.Private;
                _rss = 0;
                _anonymous = null;
            }
            else if (line.StartsWith("Rss:", StringComparison.Ordinal))
                _rss = ParseKiB(line) ?? 0;
            else if (line.StartsWith("Anonymous:", StringComparison.Ordinal))
                _anonymous = ParseKiB(line);
        }

        public List<Mapping> Finish()
        {
            Flush();
            return _result;
        }

        private void Flush()
        {
            // An unknown Anonymous count (a field missing) counts as private pages: never released.
            if (_current is { } mapping && _candidate && _rss > 0 && _anonymous == 0)
                _result.Add(mapping with { ResidentKiB = _rss });
            _current = null;
        }
    }

    /// <summary>"Name:   1234 kB": the number.</summary>
    private static long? ParseKiB(ReadOnlySpan<char> line)
    {
        var value = line[(line.IndexOf(':') + 1)..].Trim();
        if (value.EndsWith(" kB", StringComparison.Ordinal))
            value = value[..^3].TrimEnd();
        return long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var kib) ? kib : null;
    }
}
