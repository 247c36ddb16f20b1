using System.Diagnostics;
using Ballast.Simulation.Experiment;
using Ballast.Virtio.Units;

namespace Ballast.Cli.Output;

/// <summary>
/// The one-line progress display of <c>ballast bench</c> on a terminal, e.g.
/// <c>inflating sg… 1234 MiB / 7168 MiB</c>, rewritten in place with <c>\r</c>.
/// </summary>
/// <remarks>
/// Reports are handled synchronously (unlike <see cref="Progress{T}"/>, which posts them and could
/// write after the table), from any thread, at most once per <c>minInterval</c> except when the
/// mode or phase changes. <see cref="Dispose"/> erases the line so that what follows starts clean.
/// The command only uses this when standard error is a terminal.
/// </remarks>
public sealed class TerminalProgress : IProgress<BenchProgress>, IDisposable
{
    private readonly TextWriter _writer;
    private readonly TimeSpan _minInterval;
    private readonly Lock _lock = new();
    private readonly Stopwatch _sinceLastWrite = new();
    private BenchMode? _lastMode;
    private string? _lastPhase;
    private int _lastLength;

    /// <summary>A display on <paramref name="writer"/> (standard error), redrawn at most every <paramref name="minInterval"/>.</summary>
    public TerminalProgress(TextWriter writer, TimeSpan minInterval)
    {
        ArgumentNullException.ThrowIfNull(writer);
        _writer = writer;
        _minInterval = minInterval;
    }

    /// <summary>The text shown for <paramref name="value"/>: <c>inflating sg… 1234 MiB / 7168 MiB</c>.</summary>
    public static string Describe(BenchProgress value)
    {
        var verb = value.Phase switch
        {
            BenchPhases.Inflate => "inflating",
            BenchPhases.Deflate => "deflating",
            BenchPhases.Restore => "restoring",
            _ => value.Phase,
        };
        return $"{verb} {BenchModes.Name(value.Mode)}… {SizeFormatter.WholeMiB(value.BytesDone)} MiB / {SizeFormatter.WholeMiB(value.BytesTotal)} MiB";
    }

    /// <inheritdoc/>
    public void Report(BenchProgress value)
    {
        lock (_lock)
        {
            var changed = value.Mode != _lastMode || value.Phase != _lastPhase;
            var finished = value.BytesDone >= value.BytesTotal;
            if (!changed && !finished && _sinceLastWrite.IsRunning && _sinceLastWrite.Elapsed < _minInterval)
                return;

            _lastMode = value.Mode;
            _lastPhase = value.Phase;
            var text = Describe(value);
            // Pad over the rest of a longer previous line instead of relying on terminal escapes.
            _writer.Write("\r" + text.PadRight(_lastLength));
            _writer.Flush();
            _lastLength = text.Length;
            _sinceLastWrite.Restart();
        }
    }

    /// <summary>Erases the progress line, if one was drawn.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_lastLength == 0)
                return;
            _writer.Write("\r" + new string(' ', _lastLength) + "\r");
            _writer.Flush();
            _lastLength = 0;
        }
    }
}
