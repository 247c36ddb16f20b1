using System.Text.Json;
using System.Text.Json.Serialization;
using Ballast.Balloon.Device;

namespace Ballast.Simulation.Experiment;

/// <summary>Names of <see cref="ReleaseGranularity"/> values on the command line (<c>--release-granularity</c>), in tables and JSON.</summary>
public static class ReleaseGranularities
{
    /// <summary>Every granularity, the default first.</summary>
    public static IReadOnlyList<ReleaseGranularity> All { get; } = [ReleaseGranularity.HostPage, ReleaseGranularity.Page4K];

    /// <summary>The values <c>--release-granularity</c> accepts.</summary>
    public static IReadOnlyList<string> CommandLineValues { get; } = [.. All.Select(Name)];

    /// <summary><c>host-page</c> or <c>4k</c>.</summary>
    public static string Name(ReleaseGranularity granularity) => granularity switch
    {
        ReleaseGranularity.HostPage => "host-page",
        ReleaseGranularity.Page4K => "4k",
        _ => throw new ArgumentOutOfRangeException(nameof(granularity), granularity, "unknown release granularity"),
    };

    /// <summary>The granularity named <paramref name="value"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="value"/> names none.</exception>
    public static ReleaseGranularity Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        foreach (var granularity in All)
        {
            if (Name(granularity) == value)
                return granularity;
        }

        throw new ArgumentException($"'{value}' is not a release granularity; use one of {string.Join(", ", CommandLineValues)}", nameof(value));
    }

    /// <summary>Writes and reads a <see cref="ReleaseGranularity"/> as its <see cref="Name"/>.</summary>
    public sealed class NameConverter : JsonConverter<ReleaseGranularity>
    {
        /// <inheritdoc/>
        public override ReleaseGranularity Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            Parse(reader.GetString() ?? throw new JsonException("a release granularity must be a string"));

        /// <inheritdoc/>
        public override void Write(Utf8JsonWriter writer, ReleaseGranularity value, JsonSerializerOptions options)
        {
            ArgumentNullException.ThrowIfNull(writer);
            writer.WriteStringValue(Name(value));
        }
    }
}
