using Spectre.Console;

namespace Ballast.Cli.Output;

/// <summary>One bar of a <see cref="RunProgressBar"/>; does nothing when the bars are not drawn.</summary>
public sealed class RunProgressTask
{
    private readonly ProgressTask? _task;

    internal RunProgressTask(ProgressTask? task) => _task = task;

    /// <summary>The fraction done so far, 0 to 1 (0 when not drawn).</summary>
    public double Fraction => _task is null ? 0 : _task.Value / _task.MaxValue;

    /// <summary>Sets the bar to <paramref name="fraction"/> (clamped to 0–1) and, if given, its description (plain text).</summary>
    public void Update(double fraction, string? description = null)
    {
        if (_task is null)
            return;
        _task.Value = Math.Clamp(double.IsFinite(fraction) ? fraction : 0, 0, 1) * _task.MaxValue;
        if (description is not null)
            _task.Description = Markup.Escape(description);
    }

    /// <summary>Fills the bar and stops its clock.</summary>
    public void Complete(string? description = null)
    {
        Update(1, description);
        _task?.StopTask();
    }
}
