using System.Diagnostics;
using System.Runtime.InteropServices;
using Ballast.Linux.Interop;

namespace Ballast.GuestLab;

/// <summary>
/// A process this program started (QEMU, a <c>ballast serve</c> daemon, <c>guest/ensure.sh</c>), with its standard
/// output and error captured line by line. It is only ever signalled by its own pid, and only while this object
/// has not seen it exit: nothing it did not start is touched.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    /// <summary>How many captured lines are kept (the oldest are dropped first).</summary>
    public const int MaxLines = 20_000;

    /// <summary>How long <see cref="DisposeAsync"/> waits after SIGTERM before SIGKILL.</summary>
    public static readonly TimeSpan DefaultStopGrace = TimeSpan.FromSeconds(5);

    private readonly Process _process;
    private readonly Lock _lock = new();
    private readonly Queue<string> _lines = new();
    private readonly List<string> _stdout = [];
    private readonly Action<string>? _onStderr;
    private int _disposed;
    private int? _exitCode;

    private ChildProcess(Process process, string name, Action<string>? onStderr)
    {
        _process = process;
        Name = name;
        _onStderr = onStderr;
    }

    /// <summary>A short name for messages ("QEMU", "ballast serve").</summary>
    public string Name { get; }

    /// <summary>The process id.</summary>
    public int Pid { get; private set; }

    /// <summary>True once the process has exited (and was reaped), or this object was disposed.</summary>
    public bool HasExited => Volatile.Read(ref _disposed) != 0 || _process.HasExited;

    /// <summary>The exit status once exited (128 + signal for a signal, as shells report it), else null.</summary>
    public int? ExitCode
    {
        get
        {
            if (Volatile.Read(ref _disposed) == 0 && _exitCode is null && _process.HasExited)
                _exitCode = _process.ExitCode;
            return _exitCode;
        }
    }

    /// <summary>
    /// Starts <paramref name="fileName"/> with <paramref name="arguments"/> (no shell), capturing both outputs.
    /// </summary>
    /// <param name="fileName">The program (looked up on PATH).</param>
    /// <param name="arguments">Its arguments, one per element.</param>
    /// <param name="name">What to call it in messages.</param>
    /// <param name="onStderr">Called with each line of standard error as it arrives (e.g. to show progress).</param>
    /// <param name="workingDirectory">Its working directory, or null for ours.</param>
    public static ChildProcess Start(string fileName, IEnumerable<string> arguments, string name, Action<string>? onStderr = null,
        string? workingDirectory = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        ArgumentNullException.ThrowIfNull(arguments);
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (workingDirectory is not null)
            start.WorkingDirectory = workingDirectory;
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        var process = new Process { StartInfo = start };
        var child = new ChildProcess(process, name, onStderr);
        process.OutputDataReceived += (_, e) => child.OnLine(e.Data, stdout: true);
        process.ErrorDataReceived += (_, e) => child.OnLine(e.Data, stdout: false);
        if (!process.Start())
            throw new InvalidOperationException($"{name} ({fileName}) did not start");
        child.Pid = process.Id;
        // Nothing is ever written to it: a child that reads standard input sees end-of-file, not our terminal.
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    private void OnLine(string? line, bool stdout)
    {
        if (line is null)
            return;
        lock (_lock)
        {
            if (stdout)
                _stdout.Add(line);
            _lines.Enqueue(line);
            while (_lines.Count > MaxLines)
                _lines.Dequeue();
        }
        if (!stdout)
            _onStderr?.Invoke(line);
    }

    /// <summary>Every line of standard output so far.</summary>
    public IReadOnlyList<string> StandardOutputLines()
    {
        lock (_lock)
            return [.. _stdout];
    }

    /// <summary>Every captured line of either stream (the last <see cref="MaxLines"/>), in arrival order.</summary>
    public IReadOnlyList<string> Lines()
    {
        lock (_lock)
            return [.. _lines];
    }

    /// <summary>The last <paramref name="count"/> captured lines of either stream, in arrival order, one per line.</summary>
    public string Tail(int count = 60)
    {
        lock (_lock)
            return string.Join('\n', _lines.Skip(Math.Max(0, _lines.Count - count)));
    }

    /// <summary>Waits until the process exits; false if <paramref name="timeout"/> passed first.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout, CancellationToken ct = default)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            if (Volatile.Read(ref _disposed) == 0)
            {
                await _process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
            }
            return true;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>
    /// Sends <paramref name="signal"/> to the process, by its pid, if it has not exited. Returns false if it was
    /// already gone.
    /// </summary>
    public bool Signal(int signal)
    {
        if (HasExited)
            return false;
        if (Libc.kill(Pid, signal) == 0)
            return true;
        var errno = Marshal.GetLastPInvokeError();
        if (errno == Libc.ESRCH)
            return false;
        throw new InvalidOperationException($"kill({Pid}, {signal}) of {Name} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
    }

    /// <summary>
    /// Stops the process: SIGTERM, then SIGKILL if it is still there after <paramref name="grace"/>. Returns its
    /// exit status, or null if it could not be reaped within a further few seconds.
    /// </summary>
    public async Task<int?> StopAsync(TimeSpan grace)
    {
        if (!HasExited)
        {
            Signal(Libc.SIGTERM);
            if (!await WaitForExitAsync(grace).ConfigureAwait(false))
            {
                Signal(Libc.SIGKILL);
                await WaitForExitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            }
        }
        return ExitCode;
    }

    /// <summary>Stops the process (<see cref="StopAsync"/> with <see cref="DefaultStopGrace"/>) and releases it; later calls do nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Volatile.Read(ref _disposed) != 0)
            return;
        try
        {
            await StopAsync(DefaultStopGrace).ConfigureAwait(false);
        }
        finally
        {
            _ = ExitCode;
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
                _process.Dispose();
        }
    }
}
