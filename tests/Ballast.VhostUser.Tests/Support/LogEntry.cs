using Microsoft.Extensions.Logging;

namespace Ballast.VhostUser.Tests.Support;

internal sealed record LogEntry(string Category, LogLevel Level, int EventId, string Message, Exception? Exception);
