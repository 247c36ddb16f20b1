using Microsoft.Extensions.Logging;

namespace Ballast.Fuzz.Support;

/// <summary>
/// A logger that is enabled at every level and formats every message, then drops it: the code under test's log
/// templates and their arguments run on every input (a template that throws is a finding), at no I/O cost.
/// </summary>
internal sealed class DiscardingLogger : ILogger
{
    public static readonly DiscardingLogger Instance = new();

    /// <summary>Characters formatted so far (keeps the formatting from being optimised away; handy in tests).</summary>
    public long FormattedChars => Interlocked.Read(ref _formattedChars);

    private long _formattedChars;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        Interlocked.Add(ref _formattedChars, formatter(state, exception).Length);
    }
}
