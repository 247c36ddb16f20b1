using System.Text.Json.Serialization;
using Ballast.Simulation.Experiment;

namespace Ballast.Cli.Output;

/// <summary>
/// Source-generated System.Text.Json metadata for <c>ballast bench --json</c>: snake_case property
/// names (<c>GuestMemBytes</c> ↔ <c>guest_mem_bytes</c>), enums as their kebab/lower-case names,
/// one compact line.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    WriteIndented = false)]
[JsonSerializable(typeof(BenchReport))]
[JsonSerializable(typeof(BenchRun))]
[JsonSerializable(typeof(BenchSpread))]
internal sealed partial class BenchJsonContext : JsonSerializerContext;
