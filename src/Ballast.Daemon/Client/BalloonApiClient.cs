using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Ballast.Daemon.Api;

namespace Ballast.Daemon.Client;

/// <summary>
/// A client of <c>ballast serve</c>'s management API (<see cref="ApiRoutes"/>) over its Unix socket:
/// <see cref="HttpClient"/> with a <see cref="SocketsHttpHandler"/> whose connections go to the socket.
/// Every failure is a <see cref="BalloonApiException"/> with a message for people (the daemon's own for 4xx).
/// </summary>
public sealed class BalloonApiClient : IDisposable
{
    /// <summary>How long one request may take by default.</summary>
    public static readonly TimeSpan DefaultRequestTimeout = TimeSpan.FromSeconds(10);

    private readonly HttpClient _http;
    private readonly TimeSpan _requestTimeout;

    /// <summary>A client of the API listening on <paramref name="socketPath"/>.</summary>
    public BalloonApiClient(string socketPath, TimeSpan? requestTimeout = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(socketPath);
        SocketPath = socketPath;
        _requestTimeout = requestTimeout ?? DefaultRequestTimeout;
        var endpoint = new UnixDomainSocketEndPoint(socketPath);
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(endpoint, ct).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        // The host name is only for the Host header; the connection always goes to the socket.
        // Each request gets its own deadline (SendAsync): a long-poll may take longer than an ordinary request.
        _http = new HttpClient(handler) { BaseAddress = new Uri("http://ballast/"), Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>The API socket.</summary>
    public string SocketPath { get; }

    /// <summary><c>GET /balloon</c>.</summary>
    public Task<BalloonState> GetBalloonAsync(CancellationToken ct = default) =>
        GetJsonAsync(ApiRoutes.Balloon, ApiJsonContext.Default.BalloonState, ct);

    /// <summary><c>GET /balloon</c> with its ETag, for <see cref="WaitForChangeAsync"/>.</summary>
    public async Task<BalloonChange> GetBalloonVersionAsync(CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, ApiRoutes.Balloon);
        using var response = await SendAsync(request, TimeSpan.Zero, ct).ConfigureAwait(false);
        return new BalloonChange(await ReadJsonAsync(response, request, ApiJsonContext.Default.BalloonState, ct).ConfigureAwait(false), ETagOf(response));
    }

    /// <summary>
    /// <c>GET /balloon?wait=S</c> with <c>If-None-Match: <paramref name="etag"/></c>: the balloon once it changed from
    /// <paramref name="etag"/> (a new target, actual written, the deferred releases done), or a
    /// <see cref="BalloonChange"/> with no state after <paramref name="wait"/> (at most
    /// <see cref="ApiRoutes.MaxWaitSeconds"/>) without a change. The daemon wakes the request on the device's event; nothing polls.
    /// </summary>
    public async Task<BalloonChange> WaitForChangeAsync(string etag, TimeSpan wait, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(etag);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(wait, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(wait, TimeSpan.FromSeconds(ApiRoutes.MaxWaitSeconds));
        var seconds = Math.Max(0.001, Math.Round(wait.TotalSeconds, 3)).ToString("0.###", CultureInfo.InvariantCulture);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{ApiRoutes.Balloon}?{ApiRoutes.WaitParameter}={seconds}");
        request.Headers.TryAddWithoutValidation("If-None-Match", etag);
        using var response = await SendAsync(request, wait, ct).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotModified)
            return new BalloonChange(null, ETagOf(response) ?? etag);
        return new BalloonChange(await ReadJsonAsync(response, request, ApiJsonContext.Default.BalloonState, ct).ConfigureAwait(false), ETagOf(response));
    }

    /// <summary>
    /// <c>PATCH /balloon</c> with the merge patch <c>{"target_bytes":<paramref name="targetBytes"/>}</c>: the balloon
    /// after it.
    /// </summary>
    public async Task<BalloonState> PatchTargetAsync(long targetBytes, CancellationToken ct = default)
    {
        var body = JsonSerializer.Serialize(new TargetRequest(targetBytes), ApiJsonContext.Default.TargetRequest);
        using var request = new HttpRequestMessage(HttpMethod.Patch, ApiRoutes.Balloon)
        {
            Content = new StringContent(body, Encoding.UTF8, ApiRoutes.MergePatchContentType),
        };
        using var response = await SendAsync(request, TimeSpan.Zero, ct).ConfigureAwait(false);
        return await ReadJsonAsync(response, request, ApiJsonContext.Default.BalloonState, ct).ConfigureAwait(false);
    }

    /// <summary><c>PUT /balloon</c> with <paramref name="targetBytes"/>.</summary>
    public Task SetTargetAsync(long targetBytes, CancellationToken ct = default) =>
        PutJsonAsync(ApiRoutes.Balloon, new TargetRequest(targetBytes), ApiJsonContext.Default.TargetRequest, ct);

    /// <summary><c>GET /balloon/statistics</c>.</summary>
    public Task<StatisticsReport> GetStatisticsAsync(CancellationToken ct = default) =>
        GetJsonAsync(ApiRoutes.Statistics, ApiJsonContext.Default.StatisticsReport, ct);

    /// <summary><c>PUT /balloon/statistics</c> with <paramref name="seconds"/> (0 = off).</summary>
    public Task SetPollingIntervalAsync(long seconds, CancellationToken ct = default) =>
        PutJsonAsync(ApiRoutes.Statistics, new PollingIntervalRequest(seconds), ApiJsonContext.Default.PollingIntervalRequest, ct);

    /// <summary><c>GET /metrics</c>: the Prometheus text.</summary>
    public async Task<string> GetMetricsAsync(CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, ApiRoutes.Metrics);
        using var response = await SendAsync(request, TimeSpan.Zero, ct).ConfigureAwait(false);
        return await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
    }

    private async Task<T> GetJsonAsync<T>(string path, JsonTypeInfo<T> typeInfo, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        using var response = await SendAsync(request, TimeSpan.Zero, ct).ConfigureAwait(false);
        return await ReadJsonAsync(response, request, typeInfo, ct).ConfigureAwait(false);
    }

    private static async Task<T> ReadJsonAsync<T>(HttpResponseMessage response, HttpRequestMessage request, JsonTypeInfo<T> typeInfo, CancellationToken ct)
    {
        var path = request.RequestUri?.OriginalString;
        try
        {
            return await response.Content.ReadFromJsonAsync(typeInfo, ct).ConfigureAwait(false)
                ?? throw new BalloonApiException($"ballast serve answered {request.Method} {path} with null");
        }
        catch (JsonException ex)
        {
            throw new BalloonApiException($"ballast serve answered {request.Method} {path} with JSON this client cannot read: {ex.Message}", ex);
        }
    }

    private async Task PutJsonAsync<T>(string path, T body, JsonTypeInfo<T> typeInfo, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, path) { Content = JsonContent.Create(body, typeInfo) };
        using var response = await SendAsync(request, TimeSpan.Zero, ct).ConfigureAwait(false);
    }

    private static string? ETagOf(HttpResponseMessage response) => response.Headers.ETag?.ToString();

    /// <summary>
    /// Sends <paramref name="request"/>, allowing the request timeout plus <paramref name="wait"/> (a long-poll's);
    /// no answer or a non-success one (but 304) becomes a <see cref="BalloonApiException"/>.
    /// </summary>
    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, TimeSpan wait, CancellationToken ct)
    {
        var path = request.RequestUri?.OriginalString;
        var deadline = _requestTimeout + wait;
        HttpResponseMessage response;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(deadline);
        try
        {
            response = await _http.SendAsync(request, timeout.Token).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new BalloonApiException(ApiConnectionError.Describe(SocketPath, ex), ex);
        }
        catch (OperationCanceledException ex) when (!ct.IsCancellationRequested)
        {
            throw new BalloonApiException(
                $"ballast serve at {SocketPath} did not answer {request.Method} {path} within {deadline.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s", ex);
        }
        if (response.IsSuccessStatusCode || response.StatusCode == HttpStatusCode.NotModified)
            return response;
        using (response)
        {
            var status = (int)response.StatusCode;
            var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            throw new BalloonApiException(status, $"ballast serve refused {request.Method} {path} ({status} {response.ReasonPhrase}): {ErrorMessage(text)}");
        }
    }

    /// <summary>The <c>error</c> of an <see cref="ApiError"/> body, or the body itself if it is not one.</summary>
    private static string ErrorMessage(string body)
    {
        try
        {
            if (JsonSerializer.Deserialize(body, ApiJsonContext.Default.ApiError) is { Error: { } error })
                return error;
        }
        catch (JsonException)
        {
        }
        var trimmed = body.Trim();
        return trimmed.Length == 0 ? "(no message)" : trimmed;
    }

    /// <inheritdoc/>
    public void Dispose() => _http.Dispose();
}
