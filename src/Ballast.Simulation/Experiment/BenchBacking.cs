using System.Text.Json.Serialization;

namespace Ballast.Simulation.Experiment;

/// <summary>
/// What backs the simulated guest's RAM in <c>ballast bench --backing</c> (issue #14); the JSON and command-line
/// names are those of <see cref="BenchBackings.Name"/>.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<BenchBacking>))]
public enum BenchBacking
{
    /// <summary><c>4k</c>: a plain memfd on 4 KiB pages (what every earlier bench ran on).</summary>
    [JsonStringEnumMemberName("4k")]
    Pages4K,

    /// <summary><c>thp</c>: a memfd mapped with MADV_HUGEPAGE, so shmem gives it transparent 2 MiB pages.</summary>
    [JsonStringEnumMemberName("thp")]
    Thp,

    /// <summary><c>hugetlb</c>: a 2 MiB <c>MFD_HUGETLB</c> memfd, its pages taken from the hugetlb pool.</summary>
    [JsonStringEnumMemberName("hugetlb")]
    Hugetlb,
}
