using Microsoft.Extensions.Logging;

namespace Ballast.Daemon;

/// <summary>
/// <c>ballast serve</c>'s logs: Microsoft.Extensions.Logging with the console provider, one line per event, UTC
/// timestamps, all on standard error (standard output carries only the QEMU arguments).
/// </summary>
public static class ServeLogging
{
    /// <summary>The <c>--log-level</c> values, least to most severe.</summary>
    public static IReadOnlyList<string> LevelNames { get; } = ["trace", "debug", "information", "warning", "error"];

    /// <summary>The level for a <see cref="LevelNames"/> entry.</summary>
    public static LogLevel ParseLevel(string name) => name.ToLowerInvariant() switch
    {
        "trace" => LogLevel.Trace,
        "debug" => LogLevel.Debug,
        "information" => LogLevel.Information,
        "warning" => LogLevel.Warning,
        "error" => LogLevel.Error,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, $"log level must be one of {string.Join(", ", LevelNames)}"),
    };

    /// <summary>
    /// A console logger factory at <paramref name="level"/>. ASP.NET Core's own categories (one line per request)
    /// are held at warning unless <paramref name="level"/> is debug or trace.
    /// </summary>
    public static ILoggerFactory CreateFactory(LogLevel level) => LoggerFactory.Create(logging =>
    {
        logging.SetMinimumLevel(level);
        logging.AddFilter("Microsoft", level <= LogLevel.Debug ? level : (LogLevel)Math.Max((int)level, (int)LogLevel.Warning));
        logging.AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace);
        logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.UseUtcTimestamp = true;
            console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
        });
    });
}
