using System.Diagnostics.CodeAnalysis;
using Ballast.Virtio.Memory;

namespace Ballast.Simulation.Experiment;

/// <summary>Names of <see cref="BenchBacking"/> values on the command line, in tables and JSON.</summary>
public static class BenchBackings
{
    /// <summary>Every backing, in declaration order.</summary>
    public static IReadOnlyList<BenchBacking> All { get; } = [BenchBacking.Pages4K, BenchBacking.Thp, BenchBacking.Hugetlb];

    /// <summary>The names <c>--backing</c> accepts (alone or as a comma-separated list).</summary>
    public static IReadOnlyList<string> CommandLineValues { get; } = [.. All.Select(Name)];

    /// <summary>The lower-case name of <paramref name="backing"/>, e.g. <c>hugetlb</c>.</summary>
    public static string Name(BenchBacking backing) => backing switch
    {
        BenchBacking.Pages4K => "4k",
        BenchBacking.Thp => "thp",
        BenchBacking.Hugetlb => "hugetlb",
        _ => throw new ArgumentOutOfRangeException(nameof(backing), backing, "unknown bench backing"),
    };

    /// <summary>The guest-memory backing <paramref name="backing"/> asks <see cref="GuestMemory.CreateMemfd(ulong, string, MemoryBacking)"/> for.</summary>
    public static MemoryBacking ToMemoryBacking(BenchBacking backing) => backing switch
    {
        BenchBacking.Pages4K => MemoryBacking.Pages4K,
        BenchBacking.Thp => MemoryBacking.Thp,
        BenchBacking.Hugetlb => MemoryBacking.Hugetlb,
        _ => throw new ArgumentOutOfRangeException(nameof(backing), backing, "unknown bench backing"),
    };

    /// <summary>
    /// The backings of a <c>--backing</c> value: one name or a comma-separated list (<c>4k,hugetlb</c>), in the order
    /// given, each once.
    /// </summary>
    /// <exception cref="ArgumentException">An element names no backing.</exception>
    public static IReadOnlyList<BenchBacking> ParseList(string value) =>
        TryParseList(value, out var backings, out var error) ? backings : throw new ArgumentException(error, nameof(value));

    /// <summary>
    /// Parses a <c>--backing</c> value as <see cref="ParseList"/> does; false with a sentence in <paramref name="error"/>
    /// if an element names no backing.
    /// </summary>
    public static bool TryParseList(string value, out IReadOnlyList<BenchBacking> backings, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(value);
        var list = new List<BenchBacking>();
        backings = list;
        foreach (var part in value.Split(',', StringSplitOptions.TrimEntries))
        {
            if (All.Where(b => Name(b) == part).Select(b => (BenchBacking?)b).FirstOrDefault() is not { } backing)
            {
                error = $"--backing: '{part}' is not a backing; use one of {string.Join(", ", CommandLineValues)}, or several separated by commas.";
                return false;
            }
            if (!list.Contains(backing))
                list.Add(backing);
        }
        error = null;
        return true;
    }
}
