namespace Ballast.Linux.Tests;

/// <summary>
/// <see cref="StartupPages"/>: which mappings of smaps may be given back (private, read-only, file-backed, resident, no
/// private page), and that releasing them lowers this process's resident file pages.
/// </summary>
public sealed class StartupPagesTests
{
    private static readonly string[] s_smaps =
    [
        "55d2cf32d000-55d2cf343000 r--p 00000000 fe:00 5400071                    /usr/libexec/ballast-balloon",
        "Size:                 88 kB",
        "Rss:                  88 kB",
        "Anonymous:             0 kB",
        "55d2cf343000-55d2cf940000 r-xp 00016000 fe:00 5400071                    /usr/libexec/ballast-balloon",
        "Rss:                5288 kB",
        "Anonymous:             0 kB",
        // RELRO: relocated, then made read-only: private pages that must not go back to the file's contents.
        "55d2cfef0000-55d2cfef2000 r--p 00bc2000 fe:00 5400071                    /usr/libexec/ballast-balloon",
        "Rss:                   8 kB",
        "Anonymous:             8 kB",
        "55d2cfef2000-55d2cff1b000 rw-p 00bc3000 fe:00 5400071                    /usr/libexec/ballast-balloon",
        "Rss:                 164 kB",
        "Anonymous:            84 kB",
        "55d2cff1b000-55d2d0247000 rw-p 00000000 00:00 0 ",
        "Rss:                3176 kB",
        "Anonymous:          3176 kB",
        // Guest RAM: shared.
        "7f0000000000-7f0004000000 r--s 00000000 00:01 2051                       /memfd:guest (deleted)",
        "Rss:                1024 kB",
        "Anonymous:             0 kB",
        // Mapped but nothing resident: nothing to give back.
        "7fed6f165000-7fed6f18b000 r--p 00000000 fe:00 332096                     /usr/lib/x86_64-linux-gnu/libc.so.6",
        "Rss:                   0 kB",
        "Anonymous:             0 kB",
        "7fed6f18b000-7fed6f2e1000 r-xp 00026000 fe:00 332096                     /usr/lib/x86_64-linux-gnu/libc.so.6",
        "Rss:                1044 kB",
        "Anonymous:             0 kB",
        "7ffd1c5f8000-7ffd1c5fa000 r-xp 00000000 00:00 0                          [vdso]",
        "Rss:                   8 kB",
        "Anonymous:             0 kB",
    ];

    [Fact]
    public void Releasable_TakesPrivateReadOnlyFileMappingsWithoutPrivatePages()
    {
        var mappings = StartupPages.Releasable(s_smaps);

        Assert.Equal(
            [(0x55d2cf32d000, 0x16000UL, 88L), (0x55d2cf343000, 0x5fd000UL, 5288L), (0x7fed6f18b000, 0x156000UL, 1044L)],
            mappings.Select(m => ((long)m.Start, (ulong)m.Length, m.ResidentKiB)));
    }

    [Fact]
    public void Releasable_AMappingWithoutAnAnonymousField_IsKept()
    {
        var mappings = StartupPages.Releasable(["7fed6f18b000-7fed6f2e1000 r-xp 00026000 fe:00 332096 /usr/lib/libc.so.6", "Rss: 1044 kB"]);

        Assert.Empty(mappings);
    }

    [Fact]
    public void Release_LowersThisProcessResidentFilePages()
    {
        var before = RssFileKiB();

        var released = StartupPages.Release();
        var after = RssFileKiB();

        Assert.True(released > 0, "nothing released");
        Assert.True(after < before, $"RssFile {before} kB before, {after} kB after releasing {released} kB");
    }

    private static long RssFileKiB()
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("RssFile:", StringComparison.Ordinal));
        return long.Parse(line["RssFile:".Length..].Replace("kB", "", StringComparison.Ordinal).Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
