using System.Net.Http.Json;
using System.Net.Sockets;
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

    /// <summary>A client of the API listening on <paramref name="socketPath"/>.</summary>
    public BalloonApiClient(string socketPath, TimeSpan? requestTimeout = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(socketPath);
        SocketPath = socketPath;
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
        _http = new HttpClient(handler) { BaseAddress = new Uri("http://ballast/"), Timeout = requestTimeout ?? DefaultRequestTimeout };
    }

    /// <summary>The API socket.</summary>
    public string SocketPath { get; }

    /// <summary><c>GET /balloon</c>.</summary>
    public Task<BalloonState> GetBalloonAsync(CancellationToken ct = default) =>
        GetJsonAsync(ApiRoutes.Balloon, ApiJsonContext.Default.BalloonState, ct);

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
        using var response = await SendAsync(request, ct).ConfigureAwait(false);
        return await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
    }

    private async Task<T> GetJsonAsync<T>(string path, JsonTypeInfo<T> typeInfo, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        using var response = await SendAsync(request, ct).ConfigureAwait(false);
        try
        {
            return await response.Content.ReadFromJsonAsync(typeInfo, ct).ConfigureAwait(false)
                ?? throw new BalloonApiException($"ballast serve answered GET {path} with null");
        }
        catch (JsonException ex)
        {
            throw new BalloonApiException($"ballast serve answered GET {path} with JSON this client cannot read: {ex.Message}", ex);
        }
    }

    private async Task PutJsonAsync<T>(string path, T body, JsonTypeInfo<T> typeInfo, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, path) { Content = JsonContent.Create(body, typeInfo) };
        using var response = await SendAsync(request, ct).ConfigureAwait(false);
    }

    /// <summary>Sends <paramref name="request"/>; a non-success answer becomes a <see cref="BalloonApiException"/>.</summary>
    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        var path = request.RequestUri?.OriginalString;
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            var reason = ex.InnerException is SocketException socket ? socket.Message : ex.Message;
            throw new BalloonApiException($"cannot reach ballast serve at {SocketPath}: {reason}", ex);
        }
        catch (TaskCanceledException ex) when (!ct.IsCancellationRequested)
        {
            throw new BalloonApiException($"ballast serve at {SocketPath} did not answer {request.Method} {path} within {_http.Timeout.TotalSeconds:0} s", ex);
        }
        if (response.IsSuccessStatusCode)
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
