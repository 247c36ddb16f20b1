using Microsoft.Extensions.Logging;

namespace Ballast.Balloon.Tests.Device;

/// <summary>One log call seen by <see cref="CapturingLogger"/>: its level and formatted message.</summary>
internal readonly record struct CapturedLog(LogLevel Level, string Message);
