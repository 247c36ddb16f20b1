
namespace Ballast.Simulation.Experiment;

/// <summary>Names of <see cref="BenchProfile"/> values on the command line, in tables and JSON.</summary>
public static class BenchProfiles
{
    /// <summary>Every profile, in declaration order.</summary>
    public static IReadOnlyList<BenchProfile> All { get; } = [BenchProfile.Idle, BenchProfile.Fragmented];

    /// <summary>The values <c>--profile</c> accepts.</summary>
    public static IReadOnlyList<string> CommandLineValues { get; } = [.. All.Select(Name)];

    /// <summary>The lower-case name of <paramref name="profile"/>, e.g. <c>idle</c>.</summary>
    public static string Name(BenchProfile profile) => profile switch
    {
        BenchProfile.Idle => "idle",
        BenchProfile.Fragmented => "fragmented",
        _ => throw new ArgumentOutOfRangeException(nameof(profile), profile, "unknown bench profile"),
    };

    /// <summary>The profile named <paramref name="value"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="value"/> names no profile.</exception>
    public static BenchProfile Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        foreach (var profile in All)
        {
            if (Name(profile) == value)
                return profile;
        }

        throw new ArgumentException($"'{value}' is not a bench profile; use one of {string.Join(", ", CommandLineValues)}", nameof(value));
    }
}
