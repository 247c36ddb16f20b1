using System.Text.Json.Serialization;

namespace Ballast.Daemon.Api;

/// <summary>
/// Source-generated System.Text.Json metadata for the management API, shared by the daemon and
/// <c>ballast balloon</c>: snake_case names (<c>TargetBytes</c> ↔ <c>target_bytes</c>), unreported statistics
/// written as null, compact output. The request types refuse unknown properties (a typo such as <c>{"target":…}</c> is an
/// error, not "no target"); the responses accept them, so an older client can read a newer daemon.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    WriteIndented = false)]
[JsonSerializable(typeof(BalloonState))]
[JsonSerializable(typeof(TargetRequest))]
[JsonSerializable(typeof(StatisticsReport))]
[JsonSerializable(typeof(PollingIntervalRequest))]
[JsonSerializable(typeof(ApiError))]
internal sealed partial class ApiJsonContext : JsonSerializerContext;
