using Microsoft.Extensions.Logging;

namespace Ballast.Daemon;

/// <summary>How <c>ballast serve</c> logs: the least severe level written and the format (<see cref="ServeLogging"/>).</summary>
/// <param name="Level">Least severe level written (<c>--log-level</c>); <see cref="LogLevel.None"/> writes nothing.</param>
/// <param name="Format">The formatter (<c>--log-format</c>).</param>
public sealed record ServeLogSettings(LogLevel Level, ServeLogFormat Format);
