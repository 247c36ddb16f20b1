namespace Ballast.Daemon;

/// <summary><c>ballast serve --log-format</c>: which of the console provider's formatters writes the logs.</summary>
public enum ServeLogFormat
{
    /// <summary>One line per event: UTC timestamp, level, category, event id, message.</summary>
    Simple,

    /// <summary>One JSON object per line (the console provider's JSON formatter).</summary>
    Json,

    /// <summary>A <c>&lt;N&gt;</c> syslog priority prefix per line, for journald (the console provider's systemd formatter).</summary>
    Systemd,
}
