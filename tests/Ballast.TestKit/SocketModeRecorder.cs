using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Ballast.TestKit;

/// <summary>
/// A logger factory that, whenever anything logs, notes the mode a socket file has at that moment (when it exists):
/// Kestrel logs once it listens, before <c>StartAsync</c> returns — so a mode set after that shows up here.
/// </summary>
internal sealed class SocketModeRecorder(string socketPath) : ILoggerFactory
{
    private readonly ConcurrentQueue<(string Message, UnixFileMode Mode)> _seen = new();

    /// <summary>Every log line written while the socket file existed, with the file's mode then.</summary>
    public IReadOnlyCollection<(string Message, UnixFileMode Mode)> Seen => _seen;

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private void Record(string message)
    {
        if (OperatingSystem.IsWindows() || !Path.Exists(socketPath))
            return;
        try
        {
            _seen.Enqueue((message, File.GetUnixFileMode(socketPath)));
        }
        catch (IOException)
        {
            // Removed while we looked.
        }
    }

    private sealed class Logger(SocketModeRecorder recorder) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            recorder.Record(formatter(state, exception));
    }
}
