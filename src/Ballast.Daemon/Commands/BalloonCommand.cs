using System.CommandLine;

namespace Ballast.Daemon.Commands;

/// <summary><c>ballast balloon get | set | stats</c>: the client of <c>ballast serve</c>'s management API.</summary>
public sealed class BalloonCommand : Command
{
    /// <summary>The <c>balloon</c> command with its subcommands.</summary>
    public BalloonCommand()
        : this(new BalloonSetCommand(), new BalloonStatsCommand())
    {
    }

    /// <summary>The <c>balloon</c> command with <c>set</c> and <c>stats</c> given, for tests.</summary>
    internal BalloonCommand(BalloonSetCommand set, BalloonStatsCommand stats)
        : base("balloon", "Control a running 'ballast serve' through its management API (--api): show the balloon, set its target, "
            + "show the guest's memory statistics.")
    {
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(stats);
        Subcommands.Add(new BalloonGetCommand());
        Subcommands.Add(set);
        Subcommands.Add(stats);
    }
}
