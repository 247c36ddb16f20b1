using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Ballast.Daemon;

/// <summary>
/// One category's logger of <see cref="LineLoggerProvider"/>: formats each event as one line, the way
/// Microsoft.Extensions.Logging's console formatters lay it out with the options <c>ballast serve</c> used:
/// <list type="bullet">
/// <item><c>simple</c> (single line, UTC): <c>2026-12-06T13:58:23.088Z info: Category[600] message</c>, the level
/// coloured on a terminal.</item>
/// <item><c>json</c>: <c>{"Timestamp":…,"EventId":600,"LogLevel":"Information","Category":…,"Message":…,"State":{…}}</c>.</item>
/// <item><c>systemd</c>: <c>&lt;6&gt;Category[600] message</c> (the syslog priority journald reads, no timestamp).</item>
/// </list>
/// A message's (or exception's) line breaks become spaces; an exception follows the message.
/// </summary>
internal sealed class LineLogger(string category, ServeLogFormat format, TextWriter writer, bool colors) : ILogger
{
    private const string DefaultForeground = "\u001b[39m\u001b[22m";
    private const string DefaultBackground = "\u001b[49m";

    /// <inheritdoc/>
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    /// <inheritdoc/>
    public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

    /// <inheritdoc/>
    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        if (!IsEnabled(logLevel))
            return;
        var message = formatter(state, exception);
        if (string.IsNullOrEmpty(message) && exception is null)
            return;
        var line = format switch
        {
            ServeLogFormat.Json => Json(logLevel, eventId.Id, message, exception, state),
            ServeLogFormat.Systemd => Systemd(logLevel, eventId.Id, message, exception),
            _ => Simple(logLevel, eventId.Id, message, exception),
        };
        // One string, one write: lines of the supervisor and its worker (one pipe) never interleave.
        writer.Write(line);
    }

    private string Simple(LogLevel level, int eventId, string message, Exception? exception)
    {
        var line = new StringBuilder(64 + message.Length);
        line.Append(DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ ", CultureInfo.InvariantCulture));
        var (foreground, background) = colors ? Colors(level) : (null, null);
        line.Append(background).Append(foreground).Append(ShortName(level));
        if (foreground is not null)
            line.Append(DefaultForeground);
        if (background is not null)
            line.Append(DefaultBackground);
        line.Append(": ").Append(category).Append('[').Append(eventId.ToString(CultureInfo.InvariantCulture)).Append(']');
        AppendMessage(line, message, exception);
        return line.Append('\n').ToString();
    }

    private string Systemd(LogLevel level, int eventId, string message, Exception? exception)
    {
        var line = new StringBuilder(32 + message.Length);
        line.Append(SyslogPrefix(level)).Append(category).Append('[').Append(eventId.ToString(CultureInfo.InvariantCulture)).Append(']');
        AppendMessage(line, message, exception);
        return line.Append('\n').ToString();
    }

    private string Json<TState>(LogLevel level, int eventId, string message, Exception? exception, TState state)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256 + (message.Length * 2));
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("Timestamp", DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
            json.WriteNumber("EventId", eventId);
            json.WriteString("LogLevel", level.ToString());
            json.WriteString("Category", category);
            json.WriteString("Message", message);
            if (exception is not null)
                json.WriteString("Exception", exception.ToString());
            if (state is not null)
            {
                json.WriteStartObject("State");
                json.WriteString("Message", state.ToString());
                if (state is IReadOnlyCollection<KeyValuePair<string, object?>> properties)
                {
                    foreach (var (key, value) in properties)
                        WriteValue(json, key, value);
                }
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan) + "\n";
    }

    private static void WriteValue(Utf8JsonWriter json, string key, object? value)
    {
        switch (value)
        {
            case null:
                json.WriteNull(key);
                break;
            case bool b:
                json.WriteBoolean(key, b);
                break;
            case int or long or short or byte or sbyte or ushort or uint:
                json.WriteNumber(key, Convert.ToInt64(value, CultureInfo.InvariantCulture));
                break;
            case ulong u:
                json.WriteNumber(key, u);
                break;
            case double or float or decimal:
                json.WriteNumber(key, Convert.ToDouble(value, CultureInfo.InvariantCulture));
                break;
            default:
                json.WriteString(key, Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
        }
    }

    private static void AppendMessage(StringBuilder line, string message, Exception? exception)
    {
        if (!string.IsNullOrEmpty(message))
            line.Append(' ').Append(OneLine(message));
        if (exception is not null)
            line.Append(' ').Append(OneLine(exception.ToString()));
    }

    private static string OneLine(string text) => text.Replace("\r\n", " ", StringComparison.Ordinal).Replace('\n', ' ');

    /// <summary>The simple formatter's four-letter level names.</summary>
    private static string ShortName(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        _ => "crit",
    };

    /// <summary>The syslog priority prefix (sd-daemon(3)): debug 7, info 6, warning 4, err 3, crit 2.</summary>
    private static string SyslogPrefix(LogLevel level) => level switch
    {
        LogLevel.Trace or LogLevel.Debug => "<7>",
        LogLevel.Information => "<6>",
        LogLevel.Warning => "<4>",
        LogLevel.Error => "<3>",
        _ => "<2>",
    };

    /// <summary>The simple formatter's level colours as ANSI escapes: (foreground, background).</summary>
    private static (string Foreground, string Background) Colors(LogLevel level) => level switch
    {
        LogLevel.Trace or LogLevel.Debug => ("\u001b[37m", "\u001b[40m"),
        LogLevel.Information => ("\u001b[32m", "\u001b[40m"),
        LogLevel.Warning => ("\u001b[1m\u001b[33m", "\u001b[40m"),
        LogLevel.Error => ("\u001b[30m", "\u001b[41m"),
        _ => ("\u001b[1m\u001b[37m", "\u001b[41m"),
    };
}
