using Microsoft.Extensions.Logging;

namespace Ballast.Daemon;

/// <summary>
/// <c>ballast serve</c>'s log provider: every event formatted on the thread that logs it and written to standard error
/// as one line in one write, in the layout of Microsoft.Extensions.Logging's console formatters (<see cref="LineLogger"/>).
/// </summary>
/// <remarks>
/// It replaced the console provider for issue #15's footprint: that provider is built through a dependency-injection
/// container and options, and starts a thread of its own in every process (the supervisor and its worker); building it
/// took 20–40 ms of each process's start before either could listen (measured on the NativeAOT <c>ballastd</c>), and
/// its code and heap stayed resident. Writing on the caller's thread is what the console provider does too once its
/// queue is full; a daemon logs a few lines per session.
/// </remarks>
public sealed class LineLoggerProvider : ILoggerProvider
{
    private readonly ServeLogSettings _settings;
    private readonly TextWriter _writer;
    private readonly bool _colors;

    /// <param name="settings">The format (and level, which the factory's filter applies).</param>
    /// <param name="writer">Where the lines go: a writer that writes each string it is given at once.</param>
    /// <param name="colors">Colour the level as the simple console formatter does on a terminal.</param>
    public LineLoggerProvider(ServeLogSettings settings, TextWriter writer, bool colors)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(writer);
        _settings = settings;
        _writer = writer;
        _colors = colors;
    }

    /// <inheritdoc/>
    public ILogger CreateLogger(string categoryName) => new LineLogger(categoryName, _settings.Format, _writer, _colors);

    /// <inheritdoc/>
    public void Dispose() => _writer.Flush();
}
