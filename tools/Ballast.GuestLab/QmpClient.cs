using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ballast.GuestLab;

/// <summary>
/// A minimal QMP client (QEMU's docs/interop/qmp-spec.rst) over the guest's <c>-qmp unix:…,server</c> socket: one
/// JSON object per line; the greeting, then <c>qmp_capabilities</c>, then commands answered in order. Asynchronous
/// events (<c>BALLOON_CHANGE</c>, …) are kept in <see cref="Events"/>, never taken for an answer. For QEMU's own
/// balloon: <see cref="SetBalloonAsync"/> and <see cref="QueryBalloonAsync"/>.
/// </summary>
public sealed class QmpClient : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly StreamReader _reader;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly List<JsonObject> _events = [];

    private QmpClient(Socket socket, string socketPath)
    {
        _socket = socket;
        SocketPath = socketPath;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _reader = new StreamReader(_stream, new UTF8Encoding(false));
    }

    /// <summary>The QMP socket (host path).</summary>
    public string SocketPath { get; }

    /// <summary>How long one command may take to be answered.</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Events received so far (each a JSON object with <c>event</c>, <c>data</c>, <c>timestamp</c>).</summary>
    public IReadOnlyList<JsonObject> Events
    {
        get
        {
            lock (_events)
                return [.. _events];
        }
    }

    /// <summary>
    /// Connects to <paramref name="socketPath"/>, retrying until it accepts (QEMU creates it at start-up) or
    /// <paramref name="timeout"/> passes, reads the greeting and enters command mode.
    /// </summary>
    public static async Task<QmpClient> ConnectAsync(string socketPath, TimeSpan timeout, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(socketPath);
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), ct).ConfigureAwait(false);
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                socket.Dispose();
                await Task.Delay(50, ct).ConfigureAwait(false);
                continue;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
            var client = new QmpClient(socket, socketPath);
            try
            {
                var greeting = await client.ReadMessageAsync(acceptEvents: false, ct).ConfigureAwait(false);
                if (greeting["QMP"] is null)
                    throw new QmpException($"QMP at {socketPath} greeted with {greeting.ToJsonString()}");
                await client.ExecuteAsync("qmp_capabilities", null, ct).ConfigureAwait(false);
                return client;
            }
            catch
            {
                await client.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
    }

    /// <summary>Runs <paramref name="command"/> and returns its <c>return</c> value.</summary>
    /// <exception cref="QmpException">QEMU answered with an error, or the connection broke.</exception>
    public async Task<JsonNode?> ExecuteAsync(string command, JsonObject? arguments = null, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        var request = new JsonObject { ["execute"] = command };
        if (arguments is not null)
            request["arguments"] = arguments;
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(CommandTimeout);
            var bytes = Encoding.UTF8.GetBytes(request.ToJsonString() + "\n");
            try
            {
                await _stream.WriteAsync(bytes, timeout.Token).ConfigureAwait(false);
                var reply = await ReadMessageAsync(acceptEvents: true, timeout.Token).ConfigureAwait(false);
                if (reply["error"] is JsonObject error)
                    throw new QmpException($"QMP {command}: {error["class"]}: {error["desc"]}");
                return reply["return"];
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new QmpException($"QMP {command}: no answer within {CommandTimeout.TotalSeconds:0} s");
            }
            catch (IOException e)
            {
                throw new QmpException($"QMP {command}: {e.Message}", e);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// <c>balloon</c>: asks the guest to become <paramref name="guestBytes"/> large. Note that it takes the target
    /// guest size, not a balloon size: a 2 GiB guest inflates 1.5 GiB with 512 MiB.
    /// </summary>
    public Task SetBalloonAsync(long guestBytes, CancellationToken ct = default) =>
        ExecuteAsync("balloon", new JsonObject { ["value"] = guestBytes }, ct);

    /// <summary><c>query-balloon</c>: <c>actual</c>, the guest's current size in bytes (RAM minus the balloon).</summary>
    public async Task<long> QueryBalloonAsync(CancellationToken ct = default)
    {
        var result = await ExecuteAsync("query-balloon", null, ct).ConfigureAwait(false);
        return result?["actual"]?.GetValue<long>() ?? throw new QmpException($"query-balloon answered {result?.ToJsonString() ?? "null"}");
    }

    private async Task<JsonObject> ReadMessageAsync(bool acceptEvents, CancellationToken ct)
    {
        while (true)
        {
            var line = await _reader.ReadLineAsync(ct).ConfigureAwait(false)
                ?? throw new QmpException($"QMP at {SocketPath} closed the connection");
            if (line.Length == 0)
                continue;
            JsonObject message;
            try
            {
                message = JsonNode.Parse(line) as JsonObject ?? throw new QmpException($"QMP sent a non-object: {line}");
            }
            catch (JsonException e)
            {
                throw new QmpException($"QMP sent invalid JSON: {line}", e);
            }
            if (acceptEvents && message["event"] is not null)
            {
                lock (_events)
                    _events.Add(message);
                continue;
            }
            return message;
        }
    }

    /// <summary>Closes the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        _reader.Dispose();
        await _stream.DisposeAsync().ConfigureAwait(false);
        _socket.Dispose();
        _gate.Dispose();
    }
}
