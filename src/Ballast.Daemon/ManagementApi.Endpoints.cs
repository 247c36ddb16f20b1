using Ballast.Balloon.Device;
using Ballast.Virtio.Memory;
using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Ballast.Daemon.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ballast.Daemon;

public sealed partial class ManagementApi
{
    private const ulong PageBytes = GuestPage.Size;

    private const string JsonContentType = "application/json; charset=utf-8";
    private const string TargetExample = "{\"target_bytes\":1610612736}";
    private const string PollingExample = "{\"polling_interval_s\":5}";

    private void MapEndpoints(IEndpointRouteBuilder routes)
    {
        routes.MapGet(ApiRoutes.Balloon, GetBalloonAsync);
        routes.MapPut(ApiRoutes.Balloon, PutBalloonAsync);
        routes.MapPatch(ApiRoutes.Balloon, PatchBalloonAsync);
        routes.MapGet(ApiRoutes.Statistics, GetStatisticsAsync);
        routes.MapPut(ApiRoutes.Statistics, PutStatisticsAsync);
        routes.MapGet(ApiRoutes.Metrics, GetMetricsAsync);
        routes.MapGet(ApiRoutes.OpenApi, GetOpenApiAsync);
    }

    /// <summary>Every mapped route as (pattern, HTTP method), read from the app's <see cref="EndpointDataSource"/>s.</summary>
    internal IReadOnlyList<(string Pattern, string Method)> MappedRoutes() =>
        [.. ((IEndpointRouteBuilder)_app).DataSources
            .SelectMany(source => source.Endpoints)
            .OfType<RouteEndpoint>()
            .SelectMany(endpoint => (endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? [])
                .Select(method => (endpoint.RoutePattern.RawText ?? "", method)))];

    /// <summary>The balloon as <c>GET /balloon</c> reports it.</summary>
    public BalloonState CurrentState()
    {
        var connected = _backend.IsConnected;
        // Negotiated features once a guest is there (empty until its driver accepts some), offered ones otherwise.
        var features = connected ? _device.NegotiatedFeatures : _device.OfferedFeatures;
        var (backing, hostPage) = connected ? _device.HostPages : (MemoryBacking.Pages4K, GuestPage.Size);
        var counters = _device.Counters;
        return new BalloonState(
            TargetBytes: _device.NumPages * PageBytes,
            ActualBytes: _device.Actual * PageBytes,
            BalloonedBytes: _device.BalloonedPages * PageBytes,
            GuestBytes: connected ? _backend.GuestRamBytes : 0,
            Features: BalloonFeatureNames.FromBits(features, _device.Options),
            Connected: connected,
            ReleasePendingBytes: (ulong)_device.PendingReleaseBytes,
            Backing: BackingName(backing),
            HostPageBytes: hostPage,
            ReleaseGranularity: _device.Options.Granularity == ReleaseGranularity.Page4K ? "4k" : "host-page",
            PartialHostPageBytes: connected ? (ulong)_device.HeldInPartialHostPagesBytes : 0,
            Reports: (ulong)Volatile.Read(ref counters.Reports),
            ReportedEntries: (ulong)Volatile.Read(ref counters.ReportedEntries),
            ReportedBytes: (ulong)Volatile.Read(ref counters.ReportedBytes),
            ReportReleasedBytes: (ulong)Volatile.Read(ref counters.ReportReleasedBytes),
            ReportPoisonSkippedBytes: (ulong)Volatile.Read(ref counters.ReportSkippedPoisonBytes),
            ReportMalformedEntries: (ulong)counters.ReportMalformedEntries,
            PoisonValue: _device.PoisonValue,
            ActualWrittenUnixUs: (ulong)_device.ActualWrittenUnixUs);
    }

    /// <summary>The API's name for <paramref name="backing"/>: 4k, thp or hugetlb (as <c>--backing</c> spells them).</summary>
    public static string BackingName(MemoryBacking backing) => backing switch
    {
        MemoryBacking.Thp => "thp",
        MemoryBacking.Hugetlb => "hugetlb",
        _ => "4k",
    };

    private Task GetStatisticsAsync(HttpContext context)
    {
        if (!_device.Options.StatsQueue)
            return WriteErrorAsync(context, StatusCodes.Status404NotFound,
                "no statistics: the stats feature is off (start ballast serve with --features including stats)");
        if (_device.Statistics is not { } statistics)
            return WriteErrorAsync(context, StatusCodes.Status404NotFound,
                "no statistics yet: the guest has not sent any (its driver sends the first buffer when it starts)");
        return WriteJsonAsync(context, StatusCodes.Status200OK, StatisticsReport.From(statistics, _poller.IntervalSeconds),
            ApiJsonContext.Default.StatisticsReport);
    }

    private async Task PutStatisticsAsync(HttpContext context)
    {
        var (ok, request) = await TryReadJsonAsync(context, ApiJsonContext.Default.PollingIntervalRequest, PollingExample).ConfigureAwait(false);
        if (!ok)
            return;
        if (request?.PollingIntervalS is not { } seconds)
        {
            await WriteErrorAsync(context, StatusCodes.Status400BadRequest, $"the body needs polling_interval_s, e.g. {PollingExample}").ConfigureAwait(false);
            return;
        }
        if (!StatisticsPoller.IsValidInterval(seconds))
        {
            await WriteErrorAsync(context, StatusCodes.Status400BadRequest,
                $"polling_interval_s must be 0 (off) to {StatisticsPoller.MaxIntervalSeconds} seconds; got {seconds}").ConfigureAwait(false);
            return;
        }
        if (!_device.Options.StatsQueue)
        {
            await WriteErrorAsync(context, StatusCodes.Status409Conflict,
                "the stats feature is off: start ballast serve with --features including stats to poll statistics").ConfigureAwait(false);
            return;
        }
        _poller.SetInterval((int)seconds);
        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private async Task GetMetricsAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = ApiRoutes.MetricsContentType;
        await context.Response.WriteAsync(MetricsWriter.Write(_device, _backend), context.RequestAborted).ConfigureAwait(false);
    }

    private static async Task GetOpenApiAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = OpenApiDocument.ContentType;
        context.Response.ContentLength = OpenApiDocument.Utf8.Length;
        await context.Response.Body.WriteAsync(OpenApiDocument.Utf8, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>Middleware: 413 for a declared body above <see cref="ApiRoutes.MaxBodyBytes"/>, before any endpoint runs.</summary>
    private static Task RefuseLargeBodiesAsync(HttpContext context, RequestDelegate next) =>
        context.Request.ContentLength > ApiRoutes.MaxBodyBytes
            ? WriteErrorAsync(context, StatusCodes.Status413PayloadTooLarge, TooLargeMessage)
            : next(context);

    /// <summary>Middleware: gives routing's bare 404 and 405 answers an <see cref="ApiError"/> body.</summary>
    private static async Task ExplainUnroutedAsync(HttpContext context, RequestDelegate next)
    {
        await next(context).ConfigureAwait(false);
        var response = context.Response;
        if (response.HasStarted || response.ContentType is not null || response.ContentLength is not null)
            return;
        var request = context.Request;
        var message = response.StatusCode switch
        {
            StatusCodes.Status404NotFound =>
                $"no such resource: {request.Path} (the API has {ApiRoutes.Balloon}, {ApiRoutes.Statistics}, {ApiRoutes.Metrics} and {ApiRoutes.OpenApi})",
            StatusCodes.Status405MethodNotAllowed =>
                $"{request.Method} is not allowed on {request.Path}" + (response.Headers.Allow.Count > 0 ? $" (allowed: {response.Headers.Allow})" : ""),
            _ => null,
        };
        if (message is not null)
            await WriteErrorAsync(context, response.StatusCode, message).ConfigureAwait(false);
    }

    private const string TooLargeMessage = "the request body is larger than 64 KiB";

    /// <summary>
    /// Reads the body as JSON of <paramref name="typeInfo"/>'s type. On failure answers 400 (empty, malformed or
    /// not the expected object) or 413 (over 64 KiB) itself and returns false.
    /// </summary>
    private static async Task<(bool Ok, T? Value)> TryReadJsonAsync<T>(HttpContext context, JsonTypeInfo<T> typeInfo, string example)
    {
        var body = await TryReadBodyAsync(context, example).ConfigureAwait(false);
        if (body is null)
            return (false, default);
        try
        {
            var value = JsonSerializer.Deserialize(body.WrittenSpan, typeInfo);
            if (value is null)
            {
                await WriteErrorAsync(context, StatusCodes.Status400BadRequest, $"the body must be a JSON object, e.g. {example}").ConfigureAwait(false);
                return (false, default);
            }
            return (true, value);
        }
        catch (JsonException ex)
        {
            await WriteErrorAsync(context, StatusCodes.Status400BadRequest, $"{DescribeJsonError(ex)}; send e.g. {example}").ConfigureAwait(false);
            return (false, default);
        }
    }

    /// <summary>
    /// Reads the whole body. On failure answers 400 (empty or broken) or 413 (over 64 KiB) itself and returns null.
    /// </summary>
    private static async Task<ArrayBufferWriter<byte>?> TryReadBodyAsync(HttpContext context, string example)
    {
        var body = new ArrayBufferWriter<byte>(256);
        try
        {
            while (true)
            {
                var memory = body.GetMemory(4096);
                var read = await context.Request.Body.ReadAsync(memory, context.RequestAborted).ConfigureAwait(false);
                if (read == 0)
                    break;
                body.Advance(read);
                if (body.WrittenCount > ApiRoutes.MaxBodyBytes)
                {
                    await WriteErrorAsync(context, StatusCodes.Status413PayloadTooLarge, TooLargeMessage).ConfigureAwait(false);
                    return null;
                }
            }
        }
        catch (BadHttpRequestException ex)
        {
            // Kestrel's own limit (MaxRequestBodySize) or a broken chunked body.
            await WriteErrorAsync(context, ex.StatusCode,
                ex.StatusCode == StatusCodes.Status413PayloadTooLarge ? TooLargeMessage : $"bad request body: {ex.Message}").ConfigureAwait(false);
            return null;
        }
        if (body.WrittenCount == 0)
        {
            await WriteErrorAsync(context, StatusCodes.Status400BadRequest, $"the request needs a JSON body, e.g. {example}").ConfigureAwait(false);
            return null;
        }
        return body;
    }

    /// <summary>A sentence about <paramref name="ex"/> that names the JSON path, not .NET types.</summary>
    private static string DescribeJsonError(JsonException ex)
    {
        var path = ex.Path is { Length: > 1 } p ? p : null;
        if (ex.Message.Contains("could not be mapped", StringComparison.Ordinal))
            return path is null ? "the body has an unknown property" : $"unknown property {path}";
        if (ex.Message.Contains("could not be converted", StringComparison.Ordinal))
            return path is null ? "the body must be a JSON object" : $"{path} must be a whole number";
        return $"the body is not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine})";
    }

    private static Task WriteJsonAsync<T>(HttpContext context, int status, T value, JsonTypeInfo<T> typeInfo)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(value, typeInfo, JsonContentType, context.RequestAborted);
    }

    private static Task WriteErrorAsync(HttpContext context, int status, string message) =>
        WriteJsonAsync(context, status, new ApiError(message), ApiJsonContext.Default.ApiError);
}
