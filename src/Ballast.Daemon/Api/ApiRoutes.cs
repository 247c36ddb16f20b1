namespace Ballast.Daemon.Api;

/// <summary>
/// The management API of <c>ballast serve</c>: HTTP/1.1 with JSON bodies (snake_case names) on a Unix socket
/// that only the daemon's user may use (mode 0600). <c>ballast balloon</c> is its client.
/// </summary>
/// <remarks>
/// <list type="table">
/// <item><term><c>GET /balloon</c></term><description><see cref="BalloonState"/>.</description></item>
/// <item><term><c>GET /balloon?wait=S</c></term><description>Long-poll: with <c>If-None-Match</c>, the balloon once it changed, or 304 after S seconds.</description></item>
/// <item><term><c>PUT /balloon</c></term><description><see cref="TargetRequest"/> → 204; 400 for a bad target, 409 with no guest.</description></item>
/// <item><term><c>PATCH /balloon</c></term><description>A JSON merge patch (<c>{"target_bytes":N}</c>) → 200 and <see cref="BalloonState"/>; 415 for another content type.</description></item>
/// <item><term><c>GET /balloon/statistics</c></term><description><see cref="StatisticsReport"/>; 404 before the guest's first statistics.</description></item>
/// <item><term><c>PUT /balloon/statistics</c></term><description><see cref="PollingIntervalRequest"/> → 204.</description></item>
/// <item><term><c>GET /metrics</c></term><description>Prometheus text exposition format 0.0.4.</description></item>
/// <item><term><c>GET /openapi.json</c></term><description>This API as an OpenAPI 3.1 document.</description></item>
/// </list>
/// Every error (4xx, 503) carries an <see cref="ApiError"/> body. Bodies above <see cref="MaxBodyBytes"/> get 413,
/// unknown paths 404, known paths with another method 405.
/// </remarks>
public static class ApiRoutes
{
    /// <summary>The balloon's size, target and features.</summary>
    public const string Balloon = "/balloon";

    /// <summary>The guest's memory statistics and their polling interval.</summary>
    public const string Statistics = "/balloon/statistics";

    /// <summary>Counters and gauges for Prometheus.</summary>
    public const string Metrics = "/metrics";

    /// <summary>The API's OpenAPI 3.1 document (the one checked in as <c>docs/openapi.json</c>).</summary>
    public const string OpenApi = "/openapi.json";

    /// <summary>
    /// <c>GET /balloon?wait=S</c>: long-poll. Waits up to S seconds (above 0, at most <see cref="MaxWaitSeconds"/>) for the
    /// balloon to change from the ETag in <c>If-None-Match</c>; 304 if it did not.
    /// </summary>
    public const string WaitParameter = "wait";

    /// <summary>The longest <see cref="WaitParameter"/>, seconds.</summary>
    public const int MaxWaitSeconds = 300;

    /// <summary>The content type <c>PATCH /balloon</c> takes: a JSON merge patch (RFC 7396).</summary>
    public const string MergePatchContentType = "application/merge-patch+json";

    /// <summary>The member of <see cref="TargetRequest"/> and the one writable member of <see cref="BalloonState"/>.</summary>
    public const string TargetBytesMember = "target_bytes";

    /// <summary>Largest request body accepted: 64 KiB.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    /// <summary>Content type of <see cref="Metrics"/>: the Prometheus text format.</summary>
    public const string MetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>The default API socket for a vhost-user socket: <c>&lt;socket&gt;.api</c>.</summary>
    public static string DefaultApiSocket(string vhostUserSocket) => vhostUserSocket + ".api";
}
