using Microsoft.Extensions.Logging;

namespace Ballast.Daemon;

/// <summary>
/// <c>ballast serve</c>'s logs: Microsoft.Extensions.Logging with <see cref="LineLoggerProvider"/>, one line per event,
/// all on standard error (standard output carries only the QEMU arguments). The supervisor and its worker run the same
/// command line, so they log in the same format.
/// </summary>
/// <remarks>
/// Formats (<c>--log-format</c>), laid out as the console provider's built-in formatters write them:
/// <list type="bullet">
/// <item><c>simple</c>: <c>2026-12-06T13:58:23.088Z info: Category[event id] message</c>, UTC timestamps.</item>
/// <item><c>json</c>: one JSON object per line (Timestamp, EventId, LogLevel, Category, Message, State).</item>
/// <item><c>systemd</c>: <c>&lt;6&gt;Category[event id] message</c>, the syslog priority prefix journald reads
/// (sd-daemon(3)); no timestamp, the journal adds its own.</item>
/// </list>
/// </remarks>
public static class ServeLogging
{
    /// <summary>The <c>--log-level</c> values, least to most severe, with the aliases people write.</summary>
    public static IReadOnlyList<string> LevelNames { get; } =
        ["trace", "debug", "info", "information", "warn", "warning", "error", "critical", "off", "none"];

    /// <summary>The <c>--log-format</c> values.</summary>
    public static IReadOnlyList<string> FormatNames { get; } = ["simple", "json", "systemd"];

    /// <summary>The level for a <see cref="LevelNames"/> entry (any case); null for anything else.</summary>
    public static LogLevel? TryParseLevel(string? name) => name?.ToLowerInvariant() switch
    {
        "trace" => LogLevel.Trace,
        "debug" => LogLevel.Debug,
        "info" or "information" => LogLevel.Information,
        "warn" or "warning" => LogLevel.Warning,
        "error" => LogLevel.Error,
        "critical" => LogLevel.Critical,
        "off" or "none" => LogLevel.None,
        _ => null,
    };

    /// <summary>The level for a <see cref="LevelNames"/> entry.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a level name.</exception>
    public static LogLevel ParseLevel(string name) => TryParseLevel(name)
        ?? throw new ArgumentOutOfRangeException(nameof(name), name, $"log level must be one of {string.Join(", ", LevelNames)}");

    /// <summary>The format for a <see cref="FormatNames"/> entry (any case); null for anything else.</summary>
    public static ServeLogFormat? TryParseFormat(string? name) => name?.ToLowerInvariant() switch
    {
        "simple" => ServeLogFormat.Simple,
        "json" => ServeLogFormat.Json,
        "systemd" => ServeLogFormat.Systemd,
        _ => null,
    };

    /// <summary>A console logger factory at <paramref name="level"/> in the simple format.</summary>
    public static ILoggerFactory CreateFactory(LogLevel level) => CreateFactory(new ServeLogSettings(level, ServeLogFormat.Simple));

    /// <summary>
    /// A logger factory for <paramref name="settings"/> that writes to standard error (<see cref="LineLoggerProvider"/>).
    /// ASP.NET Core's own categories (one line per request) are held at warning unless the level is debug or trace.
    /// </summary>
    public static ILoggerFactory CreateFactory(ServeLogSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        WholeLinesOnStandardError();
        return CreateFactory(settings, Console.Error, EmitColors());
    }

    /// <summary>The same factory writing to <paramref name="writer"/> (for tests).</summary>
    internal static ILoggerFactory CreateFactory(ServeLogSettings settings, TextWriter writer, bool colors)
    {
        var level = settings.Level;
        var filter = new LoggerFilterOptions { MinLevel = level };
        filter.Rules.Add(new LoggerFilterRule(null, "Microsoft", level <= LogLevel.Debug ? level : (LogLevel)Math.Max((int)level, (int)LogLevel.Warning), null));
        return new LoggerFactory([new LineLoggerProvider(settings, writer, colors)], filter);
    }

    /// <summary>
    /// Whether the simple format colours its levels: as the console formatter decides it, when standard output is not
    /// redirected and NO_COLOR is not set, or when DOTNET_SYSTEM_CONSOLE_ALLOW_ANSI_COLOR_REDIRECTION is 1 or true.
    /// </summary>
    private static bool EmitColors()
    {
        if (!Console.IsOutputRedirected)
            return Environment.GetEnvironmentVariable("NO_COLOR") is null;
        var allow = Environment.GetEnvironmentVariable("DOTNET_SYSTEM_CONSOLE_ALLOW_ANSI_COLOR_REDIRECTION");
        return allow is not null && (allow == "1" || allow.Equals("true", StringComparison.OrdinalIgnoreCase));
    }

    private static int s_wholeLines;

    /// <summary>
    /// Makes every console log line one write(2) to standard error. The supervisor and its worker share that pipe (or
    /// journald's stream); .NET's own standard-error writer has a 256-character buffer and writes a longer line in
    /// pieces, which the other process's lines can land between (a JSON line cut in two). With a 64 KiB buffer a line
    /// is one write, and a pipe never interleaves a write of up to PIPE_BUF (4096) bytes.
    /// </summary>
    private static void WholeLinesOnStandardError()
    {
        if (Interlocked.Exchange(ref s_wholeLines, 1) != 0)
            return;
        var writer = new StreamWriter(Console.OpenStandardError(), new System.Text.UTF8Encoding(false), 1 << 16) { AutoFlush = true };
        Console.SetError(TextWriter.Synchronized(writer));
    }
}
