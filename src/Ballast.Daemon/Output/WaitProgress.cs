using Ballast.Virtio.Units;

namespace Ballast.Daemon.Output;

/// <summary>
/// The one-line display of <c>ballast balloon set --wait</c> on a terminal (standard error), rewritten in place:
/// <c>waiting for the guest: actual 1024 MiB, target 1536 MiB</c>. <see cref="Dispose"/> erases it.
/// </summary>
public sealed class WaitProgress : IDisposable
{
    private readonly TextWriter _writer;
    private int _lastLength;

    /// <summary>A display on <paramref name="writer"/>.</summary>
    public WaitProgress(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        _writer = writer;
    }

    /// <summary>The text shown for <paramref name="actualBytes"/> of <paramref name="targetBytes"/>.</summary>
    public static string Describe(ulong actualBytes, ulong targetBytes) =>
        $"waiting for the guest: actual {SizeFormatter.WholeMiB((long)Math.Min(actualBytes, long.MaxValue))} MiB, target {SizeFormatter.WholeMiB((long)Math.Min(targetBytes, long.MaxValue))} MiB";

    /// <summary>Redraws the line.</summary>
    public void Report(ulong actualBytes, ulong targetBytes)
    {
        var text = Describe(actualBytes, targetBytes);
        _writer.Write("\r" + text.PadRight(_lastLength));
        _writer.Flush();
        _lastLength = text.Length;
    }

    /// <summary>Erases the line, if one was drawn.</summary>
    public void Dispose()
    {
        if (_lastLength == 0)
            return;
        _writer.Write("\r" + new string(' ', _lastLength) + "\r");
        _writer.Flush();
        _lastLength = 0;
    }
}
