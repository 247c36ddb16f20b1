using System.Globalization;

namespace Ballast.GuestLab;

/// <summary>
/// One fact the guest's <c>/init</c> printed on the serial console (guest/README.md "Serial line format"):
/// <c>BALLAST &lt;event&gt; t=&lt;ms&gt; [&lt;key&gt;=&lt;value&gt; ...]</c>, the event being one or two lower-case words; and the one
/// exception <c>BALLAST cmdline &lt;the kernel command line&gt;</c>, whose rest is <see cref="Text"/>.
/// </summary>
/// <param name="Name">The event: "ready", "dirty done", "hog killed", …</param>
/// <param name="TimeMs">t=: milliseconds since guest boot; null for <c>cmdline</c>.</param>
/// <param name="Fields">Every key=value after the event (t included), by key.</param>
/// <param name="Text">Everything after the event name (for <c>cmdline</c>, the command line).</param>
/// <param name="Index">Position among the log's facts, from 0.</param>
public sealed record SerialEvent(string Name, long? TimeMs, IReadOnlyDictionary<string, string> Fields, string Text, int Index)
{
    /// <summary>What every fact starts with: capitals and one space.</summary>
    public const string Prefix = "BALLAST ";

    /// <summary>The value of <paramref name="key"/>, or null.</summary>
    public string? this[string key] => Fields.TryGetValue(key, out var value) ? value : null;

    /// <summary>The value of <paramref name="key"/> as a whole number.</summary>
    /// <exception cref="FormatException">The key is missing or not a number.</exception>
    public long Int64(string key) =>
        this[key] is { } text && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new FormatException($"BALLAST {Name} has no whole number {key}=: {Prefix}{Name} {Text}");

    /// <summary>The fact in <paramref name="line"/> (one serial line without its line end), or null for any other line.</summary>
    public static SerialEvent? TryParse(string line, int index)
    {
        ArgumentNullException.ThrowIfNull(line);
        if (!line.StartsWith(Prefix, StringComparison.Ordinal))
            return null;
        var rest = line[Prefix.Length..];
        if (rest.StartsWith("cmdline ", StringComparison.Ordinal) || rest == "cmdline")
            return new SerialEvent("cmdline", null, new Dictionary<string, string>(), rest.Length > 8 ? rest[8..] : "", index);

        var words = rest.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var nameWords = words.TakeWhile(word => !word.Contains('=', StringComparison.Ordinal)).ToArray();
        if (nameWords.Length is 0 or > 2)
            return null;
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var word in words.Skip(nameWords.Length))
        {
            var eq = word.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
                fields[word[..eq]] = word[(eq + 1)..];
        }
        long? t = fields.TryGetValue("t", out var ms) && long.TryParse(ms, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed)
            ? parsed
            : null;
        var name = string.Join(' ', nameWords);
        return new SerialEvent(name, t, fields, rest[name.Length..].TrimStart(), index);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Prefix}{Name} {Text}";
}
