using System.Text.RegularExpressions;
using Ballast.Packaging.Tests.Support;

namespace Ballast.Packaging.Tests;

/// <summary>
/// The installed man page renders with man-db (`man -l`) and holds every command's help: each command and
/// subcommand that `ballastd --help` and the commands' own help list has its section, with its options; and
/// `man ballast-balloon` shows the same page.
/// </summary>
[Collection(DebCollection.Name)]
public sealed partial class DebManPageTests(DebPackage deb)
{
    [RootFact]
    public void Deb_ManPage_RendersEveryCommandsHelp()
    {
        using var root = deb.InstallFresh();

        var man = root.Run("env", "MANWIDTH=100", "man", "-P", "cat", "-l", "/usr/share/man/man1/ballastd.1.gz");

        Assert.True(man.Succeeded, man.Describe());
        Assert.Empty(man.Error.Trim());
        var page = Overstrike().Replace(man.Output, "");
        Assert.Contains("NAME", page, StringComparison.Ordinal);
        Assert.Contains($"ballastd {Repository.Version}", page, StringComparison.Ordinal);
        var commands = Commands(root, "");
        Assert.NotEmpty(commands);
        foreach (var command in commands)
        {
            Assert.Contains($"ballastd {command}", page, StringComparison.Ordinal);
            var help = root.Run(["ballastd", .. command.Split(' '), "--help"]);
            foreach (Match option in LongOption().Matches(help.Output))
                Assert.Contains(option.Value, page, StringComparison.Ordinal);
        }

        // QEMU's backend program has a page too: ballastd's, found by name through man-db's search path.
        var wrapper = root.Run("env", "MANWIDTH=100", "man", "-P", "cat", "ballast-balloon");
        Assert.True(wrapper.Succeeded, wrapper.Describe());
        Assert.Equal(page, Overstrike().Replace(wrapper.Output, ""));
    }

    /// <summary>The commands under <paramref name="parent"/> (space-separated path), depth first, from their --help.</summary>
    private static List<string> Commands(FreshRoot root, string parent)
    {
        var help = root.Run(["ballastd", .. parent.Split(' ', StringSplitOptions.RemoveEmptyEntries), "--help"]);
        Assert.True(help.Succeeded, help.Describe());
        var list = help.Output.Split('\n').SkipWhile(l => l.TrimEnd() != "Commands:").Skip(1).TakeWhile(l => l.Trim().Length > 0)
            .Where(l => l.StartsWith("  ", StringComparison.Ordinal) && l[2] != ' ')
            .Select(l => (parent + " " + l.Trim().Split(' ')[0]).Trim());
        var all = new List<string>();
        foreach (var command in list)
        {
            all.Add(command);
            all.AddRange(Commands(root, command));
        }
        return all;
    }

    /// <summary>Bold and underline as nroff writes them without a terminal: a character, a backspace, a character.</summary>
    [GeneratedRegex(".\b")]
    private static partial Regex Overstrike();

    [GeneratedRegex(@"(?<=\s)--[a-z][a-z0-9-]*")]
    private static partial Regex LongOption();
}
