using Microsoft.Extensions.Logging;

namespace Ballast.Balloon.Tests.Device;

/// <summary>An <see cref="ILogger"/> that keeps every entry, so tests can assert what the device logged.</summary>
internal sealed class CapturingLogger : ILogger
{
    private readonly Lock _lock = new();
    private readonly List<CapturedLog> _entries = [];

    /// <summary>Everything logged so far, oldest first.</summary>
    public IReadOnlyList<CapturedLog> Entries
    {
        get
        {
            lock (_lock)
                return [.. _entries];
        }
    }

    /// <summary>Warnings whose message contains <paramref name="text"/>.</summary>
    public int Warnings(string text) =>
        Entries.Count(e => e.Level == LogLevel.Warning && e.Message.Contains(text, StringComparison.Ordinal));

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        lock (_lock)
            _entries.Add(new CapturedLog(logLevel, formatter(state, exception)));
    }
}
