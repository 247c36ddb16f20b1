using System.Text.Json.Serialization;

namespace Ballast.GuestBench;

/// <summary>Source-generated System.Text.Json metadata for <c>ballast guest-bench --json</c>: snake_case names, one compact line.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = false)]
[JsonSerializable(typeof(GuestBenchReport))]
[JsonSerializable(typeof(GuestReportingReport))]
internal sealed partial class GuestBenchJsonContext : JsonSerializerContext;
