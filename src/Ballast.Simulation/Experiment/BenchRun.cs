using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Serialization;
using Ballast.Balloon.Device;

namespace Ballast.Simulation.Experiment;

/// <summary>
/// The measurements of one inflate/deflate cycle in one mode — one element of <c>runs</c> in
/// <c>ballast bench --json</c> (property names in snake_case: <see cref="ModeMeasurement.TotalMs"/> ↔ <c>total_ms</c>):
/// the mode, then the fields of <see cref="ModeMeasurement"/>.
/// </summary>
public sealed record BenchRun : ModeMeasurement
{
    /// <summary>The <see cref="ModeMeasurement.Integrity"/> value of a run whose guest memory checked out.</summary>
    public const string IntegrityOk = "ok";

    /// <summary>An empty run, for object initializers.</summary>
    public BenchRun()
    {
    }

    /// <summary>A run of <paramref name="mode"/> with the figures of <paramref name="measurement"/>.</summary>
    [SetsRequiredMembers]
    public BenchRun(BenchMode mode, ModeMeasurement measurement)
        : base(measurement)
    {
        Mode = mode;
    }

    /// <summary>A run of <paramref name="mode"/> on <paramref name="backing"/> with the figures of <paramref name="measurement"/>.</summary>
    [SetsRequiredMembers]
    public BenchRun(BenchMode mode, BenchBacking backing, ReleaseGranularity granularity, ModeMeasurement measurement)
        : base(measurement)
    {
        Mode = mode;
        Backing = backing;
        ReleaseGranularity = granularity;
    }

    /// <summary><c>mode</c>: which driver/device pair ran.</summary>
    [JsonPropertyOrder(-1)]
    public required BenchMode Mode { get; init; }

    /// <summary><c>backing</c>: what backed the guest's RAM (<c>--backing</c>).</summary>
    [JsonPropertyOrder(1)]
    public BenchBacking Backing { get; init; } = BenchBacking.Pages4K;

    /// <summary><c>release_granularity</c>: what the device released at a time on huge pages (<c>--release-granularity</c>).</summary>
    [JsonPropertyOrder(2)]
    [JsonConverter(typeof(ReleaseGranularities.NameConverter))]
    public ReleaseGranularity ReleaseGranularity { get; init; } = ReleaseGranularity.HostPage;
}
