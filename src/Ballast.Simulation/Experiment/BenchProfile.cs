using System.Text.Json.Serialization;

namespace Ballast.Simulation.Experiment;

/// <summary>
/// How the simulated guest's memory looks when the balloon inflates: this decides how long the runs
/// of contiguous free pages are, and so how much the scatter-gather path can coalesce.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<BenchProfile>))]
public enum BenchProfile
{
    /// <summary><c>idle</c>: a freshly booted, idle guest; free memory is mostly long contiguous runs.</summary>
    [JsonStringEnumMemberName("idle")]
    Idle,

    /// <summary><c>fragmented</c>: a guest whose free memory is scattered in short runs.</summary>
    [JsonStringEnumMemberName("fragmented")]
    Fragmented,
}
