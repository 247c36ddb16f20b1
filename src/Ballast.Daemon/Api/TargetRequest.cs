using System.Text.Json.Serialization;

namespace Ballast.Daemon.Api;

/// <summary>
/// <c>PUT /balloon</c>: <c>{"target_bytes":N}</c>, a new balloon target: a multiple of 4096 from 0 up to the
/// guest's RAM. Null when the body lacks the property (the server answers 400).
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record TargetRequest(long? TargetBytes);
