using Spectre.Console;

namespace Ballast.Cli.Output;

/// <summary>
/// The progress bars of <c>ballast bench</c> and <c>ballast guest-bench</c> on standard error: one line per task with
/// its description, a bar, the percentage and the elapsed time (Spectre.Console's live progress display), and log
/// lines written above the bars.
/// </summary>
/// <remarks>
/// Only on a terminal: when standard error is redirected the commands make a bar with <c>terminal: false</c>, which
/// draws nothing — no escape codes, no carriage returns — and writes log lines as plain lines. Standard output is
/// never touched, so it carries only results. Tasks may be updated from any thread.
/// </remarks>
public sealed class RunProgressBar
{
    private readonly TextWriter _writer;
    private readonly IAnsiConsole? _console;
    private readonly Lock _lock = new();
    private ProgressContext? _context;

    private RunProgressBar(TextWriter writer, IAnsiConsole? console)
    {
        _writer = writer;
        _console = console;
    }

    /// <summary>Whether the bars are drawn (standard error is a terminal).</summary>
    public bool IsDrawn => _console is not null;

    /// <summary>
    /// Runs <paramref name="work"/> with a progress display on <paramref name="writer"/>: drawn (ANSI) if
    /// <paramref name="terminal"/>, else nothing but the log lines. The bars stay on screen afterwards with their final
    /// percentage and elapsed time.
    /// </summary>
    public static async Task<T> RunAsync<T>(TextWriter writer, bool terminal, Func<RunProgressBar, Task<T>> work)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(work);
        if (!terminal)
            return await work(new RunProgressBar(writer, console: null)).ConfigureAwait(false);

        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.Yes,
            ColorSystem = ColorSystemSupport.Standard,
            Interactive = InteractionSupport.Yes,
            Out = new AnsiConsoleOutput(writer),
        });
        var bar = new RunProgressBar(writer, console);
        return await console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async context =>
            {
                lock (bar._lock)
                    bar._context = context;
                return await work(bar).ConfigureAwait(false);
            }).ConfigureAwait(false);
    }

    /// <summary>A new bar, at 0%, with <paramref name="description"/> (plain text).</summary>
    public RunProgressTask AddTask(string description)
    {
        ArgumentNullException.ThrowIfNull(description);
        lock (_lock)
            return new RunProgressTask(_context?.AddTask(Markup.Escape(description), autoStart: true, maxValue: 100));
    }

    /// <summary>Writes <paramref name="line"/> (plain text) above the bars, or as a plain line when nothing is drawn.</summary>
    public void WriteLine(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        lock (_lock)
        {
            if (_console is not null)
            {
                _console.WriteLine(line);
                return;
            }
            _writer.WriteLine(line);
            _writer.Flush();
        }
    }
}
