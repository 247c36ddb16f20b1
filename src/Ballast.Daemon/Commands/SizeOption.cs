using System.CommandLine;
using System.CommandLine.Parsing;
using Ballast.Virtio.Units;

namespace Ballast.Daemon.Commands;

/// <summary>Options whose value is a SIZE (<see cref="SizeParser"/>): one parser and one error shape for every command.</summary>
internal static class SizeOption
{
    /// <summary>An optional SIZE option; <paramref name="description"/> is shown as is.</summary>
    public static Option<long?> Create(string name, string description, bool zeroAllowed = false) => new(name)
    {
        Description = description,
        HelpName = "SIZE",
        CustomParser = result => Parse(result, name, zeroAllowed),
    };

    /// <summary>
    /// The bytes <paramref name="result"/>'s tokens name, or null after adding "<paramref name="name"/>: why" as a parse
    /// error. A literal 0 is accepted only where <paramref name="zeroAllowed"/> (a balloon target of nothing).
    /// </summary>
    public static long? Parse(ArgumentResult result, string name, bool zeroAllowed)
    {
        var text = string.Join(' ', result.Tokens.Select(token => token.Value));
        if (zeroAllowed && text.Trim() == "0")
            return 0;
        if (SizeParser.TryParse(text, out var bytes, out var error))
            return bytes;
        result.AddError($"{name}: {error}");
        return null;
    }
}
