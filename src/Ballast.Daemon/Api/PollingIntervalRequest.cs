using System.Text.Json.Serialization;

namespace Ballast.Daemon.Api;

/// <summary>
/// <c>PUT /balloon/statistics</c>: <c>{"polling_interval_s":N}</c>: ask the guest for fresh statistics every
/// N seconds (0 turns polling off). Null when the body lacks the property (the server answers 400).
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record PollingIntervalRequest(long? PollingIntervalS);
